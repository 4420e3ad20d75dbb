// Round trips with official SDKs against sopskit kms-emulator; run by kms_official_clients.sh.
// Env: EMU_URL (https://127.0.0.1:PORT), WORK (folder with state and test keys), NODE_PATH.
'use strict';
const fs = require('fs');
const assert = require('assert');
const crypto = require('crypto');

const url = process.env.EMU_URL;
const work = process.env.WORK;
const port = Number(new URL(url).port);
const dataKey = crypto.randomBytes(32);
const results = [];

async function control(what, body) {
  const r = await fetch(`${url}/_emulator/${what}`, { method: 'POST', body: JSON.stringify(body) });
  assert.strictEqual(r.status, 200, `control ${what}: ${r.status}`);
}

async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push([name, true]);
    console.log(`PASS ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.push([name, false]);
    console.log(`FAIL ${name}: ${e && e.stack || e}`);
  }
}

const awsCreds = { accessKeyId: 'AKIDSOPSKITTEST00001', secretAccessKey: 'sopskit/test/secret/0000000000000000000000' };
const keyArn = 'arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555';

async function awsKms() {
  const { KMSClient, EncryptCommand, DecryptCommand } = require('@aws-sdk/client-kms');
  const kms = new KMSClient({ region: 'us-east-1', endpoint: url, credentials: awsCreds, maxAttempts: 3 });
  const context = { app: 'flux', ns: 'tenant-a' };
  const enc = await kms.send(new EncryptCommand({ KeyId: keyArn, Plaintext: dataKey, EncryptionContext: context }));
  assert.strictEqual(enc.KeyId, keyArn);
  const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: context }));
  assert.ok(Buffer.from(dec.Plaintext).equals(dataKey));
  // A throttled call is retried by the SDK and then succeeds.
  await control('faults', { service: 'aws', status: 429, count: 1 });
  const again = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, KeyId: 'alias/sops', EncryptionContext: context }));
  assert.ok(Buffer.from(again.Plaintext).equals(dataKey));
  // Wrong context: InvalidCiphertextException, as from AWS.
  await assert.rejects(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { app: 'x' } })),
                       (e) => e.name === 'InvalidCiphertextException');
  // Wrong secret: the signature check fails.
  const bad = new KMSClient({ region: 'us-east-1', endpoint: url, credentials: { ...awsCreds, secretAccessKey: 'wrong' }, maxAttempts: 1 });
  await assert.rejects(bad.send(new EncryptCommand({ KeyId: keyArn, Plaintext: dataKey })), (e) => e.name === 'InvalidSignatureException');
  // Client in another region than the key: NotFoundException.
  const other = new KMSClient({ region: 'eu-west-1', endpoint: url, credentials: awsCreds, maxAttempts: 1 });
  await assert.rejects(other.send(new EncryptCommand({ KeyId: keyArn, Plaintext: dataKey })), (e) => e.name === 'NotFoundException');
}

async function awsSts() {
  const { STSClient, AssumeRoleCommand } = require('@aws-sdk/client-sts');
  const { KMSClient, EncryptCommand, DecryptCommand } = require('@aws-sdk/client-kms');
  const sts = new STSClient({ region: 'us-east-1', endpoint: url, credentials: awsCreds });
  const r = await sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::111122223333:role/sops', RoleSessionName: 'sops@host' }));
  const c = r.Credentials;
  assert.ok(c.AccessKeyId.startsWith('ASIA') && c.SessionToken);
  const kms = new KMSClient({ region: 'us-east-1', endpoint: url,
    credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken } });
  const enc = await kms.send(new EncryptCommand({ KeyId: keyArn, Plaintext: dataKey }));
  const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, KeyId: keyArn }));
  assert.ok(Buffer.from(dec.Plaintext).equals(dataKey));
}

async function awsWebIdentity() {
  // AssumeRoleWithWebIdentity is unsigned: the emulator checks the token as STS checks it.
  const { STSClient, AssumeRoleWithWebIdentityCommand } = require('@aws-sdk/client-sts');
  const { KMSClient, EncryptCommand, DecryptCommand } = require('@aws-sdk/client-kms');
  const sts = new STSClient({ region: 'us-east-1', endpoint: url });
  const assume = (token) => sts.send(new AssumeRoleWithWebIdentityCommand({
    RoleArn: 'arn:aws:iam::111122223333:role/ci', RoleSessionName: 'ci', WebIdentityToken: token }));
  const c = (await assume('oidc-ci-token')).Credentials;
  const kms = new KMSClient({ region: 'us-east-1', endpoint: url,
    credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken } });
  const enc = await kms.send(new EncryptCommand({ KeyId: keyArn, Plaintext: dataKey }));
  const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, KeyId: keyArn }));
  assert.ok(Buffer.from(dec.Plaintext).equals(dataKey));
  await assert.rejects(assume('forged'), (e) => e.name === 'InvalidIdentityTokenException' || e.Code === 'InvalidIdentityToken' || /InvalidIdentityToken/.test(String(e.name)));
}

const saEmail = 'sops@test-project.iam.gserviceaccount.com';
const gcpAudience = '//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/ci/providers/oidc';
const gcpKey = 'projects/test-project/locations/global/keyRings/sops/cryptoKeys/sops-key';

async function gcpKms() {
  const { KeyManagementServiceClient } = require('@google-cloud/kms');
  const client = new KeyManagementServiceClient({
    apiEndpoint: '127.0.0.1', port, fallback: true, protocol: 'https',
    credentials: { client_email: saEmail, private_key: fs.readFileSync(`${work}/sa.pem`, 'utf8') },
  });
  const [enc] = await client.encrypt({ name: gcpKey, plaintext: dataKey });
  assert.ok(enc.name.startsWith(gcpKey + '/cryptoKeyVersions/'));
  const [dec] = await client.decrypt({ name: gcpKey, ciphertext: enc.ciphertext });
  assert.ok(Buffer.from(dec.plaintext).equals(dataKey));
}

async function gcpRest(token) {
  const call = async (op, body) => {
    const r = await fetch(`${url}/v1/${gcpKey}:${op}?%24alt=json%3Benum-encoding%3Dint`, {
      method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    assert.strictEqual(r.status, 200, `${op}: ${r.status}`);
    return r.json();
  };
  const enc = await call('encrypt', { name: gcpKey, plaintext: dataKey.toString('base64') });
  const dec = await call('decrypt', { name: gcpKey, ciphertext: enc.ciphertext });
  assert.ok(Buffer.from(dec.plaintext, 'base64').equals(dataKey));
}

async function gcpTokenEndpoint() {
  // google-auth-library's service-account flow (RS256 JWT bearer grant). The library pins
  // https://oauth2.googleapis.com/token, so its transport is pointed at the emulator, as a
  // token_uri would; then REST calls with the access token, as sops' REST client makes them.
  const { JWT } = require('google-auth-library');
  const jwt = new JWT({ email: saEmail, key: fs.readFileSync(`${work}/sa.pem`, 'utf8'),
                        scopes: ['https://www.googleapis.com/auth/cloudkms'] });
  jwt.transporter.interceptors.request.add({ resolved: async (opts) => {
    opts.url = String(opts.url).replace('https://oauth2.googleapis.com', url);
    return opts;
  } });
  const { token } = await jwt.getAccessToken();
  assert.ok(token && token.startsWith('ya29.emu-'), 'not an emulator token');
  await gcpRest(token);
}

async function gcpRefreshToken() {
  const { UserRefreshClient } = require('google-auth-library');
  const client = new UserRefreshClient({ clientId: 'gcp-client', clientSecret: 'gcp-client-secret', refreshToken: 'gcp-refresh-token',
                                         endpoints: { oauth2TokenUrl: `${url}/token` } });
  const { token } = await client.getAccessToken();
  assert.ok(token && token.startsWith('ya29.emu-'), 'not an emulator token');
  await gcpRest(token);
  // After the emulator expires every token, the old one is refused with Google's 401 shape.
  await control('expire-tokens', {});
  const r = await fetch(`${url}/v1/${gcpKey}:encrypt`, { method: 'POST', headers: { Authorization: `Bearer ${token}` },
                                                         body: JSON.stringify({ plaintext: 'AA==' }) });
  assert.strictEqual(r.status, 401);
  assert.strictEqual((await r.json()).error.status, 'UNAUTHENTICATED');
}

async function gcpExternalAccount() {
  // google-auth-library's workload identity federation (IdentityPoolClient): the subject token
  // from a file, Google STS token exchange, then generateAccessToken for the service account.
  const { IdentityPoolClient } = require('google-auth-library');
  fs.writeFileSync(`${work}/subject`, 'oidc-ci-token');
  const client = new IdentityPoolClient({
    type: 'external_account', audience: gcpAudience, subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    token_url: `${url}/v1/token`,
    service_account_impersonation_url: `${url}/v1/projects/-/serviceAccounts/${saEmail}:generateAccessToken`,
    credential_source: { file: `${work}/subject` }, scopes: ['https://www.googleapis.com/auth/cloudkms'] });
  const { token } = await client.getAccessToken();
  assert.ok(token && token.startsWith('ya29.emu-'), 'not an emulator token');
  await gcpRest(token);
}

const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const clientId = '00000000-0000-0000-0000-00000000c11e';

async function azureRoundTrip(credential) {
  const { KeyClient, CryptographyClient } = require('@azure/keyvault-keys');
  const opts = { disableChallengeResourceVerification: true, retryOptions: { maxRetryDelayInMs: 2000 } };
  const keys = new KeyClient(url, credential, opts);
  const key = await keys.getKey('sops-key');
  assert.ok(key.id.startsWith(`${url}/keys/sops-key/`));
  const cc = new CryptographyClient(key.id, credential, opts);
  const enc = await cc.encrypt({ algorithm: 'RSA-OAEP-256', plaintext: dataKey });
  assert.strictEqual(enc.result.length, 256);
  await control('faults', { service: 'azure', status: 429, count: 1 });
  const dec = await cc.decrypt({ algorithm: 'RSA-OAEP-256', ciphertext: enc.result });
  assert.ok(Buffer.from(dec.result).equals(dataKey));
  // Encrypt locally with the public key (node crypto), decrypt in the vault.
  const pub = crypto.createPublicKey({ key: { kty: 'RSA', n: Buffer.from(key.key.n).toString('base64url'), e: Buffer.from(key.key.e).toString('base64url') }, format: 'jwk' });
  const local = crypto.publicEncrypt({ key: pub, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, dataKey);
  const dec2 = await cc.decrypt({ algorithm: 'RSA-OAEP-256', ciphertext: local });
  assert.ok(Buffer.from(dec2.result).equals(dataKey));
}

async function azureSecret() {
  const { ClientSecretCredential } = require('@azure/identity');
  await azureRoundTrip(new ClientSecretCredential(tenant, clientId, 'azure-test-secret', { authorityHost: url, disableInstanceDiscovery: true }));
}

async function azureCertificate() {
  const { ClientCertificateCredential } = require('@azure/identity');
  await azureRoundTrip(new ClientCertificateCredential(tenant, clientId, { certificatePath: `${work}/az.pem` },
                                                       { authorityHost: url, disableInstanceDiscovery: true }));
}

async function vault() {
  const client = require('node-vault')({ apiVersion: 'v1', endpoint: url, token: 'hvs.sopskit-test' });
  const enc = await client.write('transit/encrypt/sops', { plaintext: dataKey.toString('base64') });
  assert.ok(enc.data.ciphertext.startsWith('vault:v1:'));
  await control('faults', { service: 'vault', status: 503, count: 1 });
  await assert.rejects(client.write('transit/decrypt/sops', { ciphertext: enc.data.ciphertext }), (e) => e.response.statusCode === 503);
  const dec = await client.write('transit/decrypt/sops', { ciphertext: enc.data.ciphertext });
  assert.ok(Buffer.from(dec.data.plaintext, 'base64').equals(dataKey));
  const wrong = require('node-vault')({ apiVersion: 'v1', endpoint: url, token: 'hvs.wrong' });
  await assert.rejects(wrong.write('transit/decrypt/sops', { ciphertext: enc.data.ciphertext }),
                       (e) => e.response.statusCode === 403 && /permission denied/.test(e.message));
}

(async () => {
  await check('aws-sdk client-kms', awsKms);
  await check('aws-sdk client-sts AssumeRole + client-kms', awsSts);
  await check('aws-sdk client-sts AssumeRoleWithWebIdentity + client-kms', awsWebIdentity);
  await check('@google-cloud/kms (REST fallback, self-signed JWT)', gcpKms);
  await check('google-auth-library JWT grant at /token + REST', gcpTokenEndpoint);
  await check('google-auth-library IdentityPoolClient (STS exchange + impersonation) + REST', gcpExternalAccount);
  await check('google-auth-library UserRefreshClient (refresh_token) + REST', gcpRefreshToken);
  await check('@azure/keyvault-keys + ClientSecretCredential', azureSecret);
  await check('@azure/keyvault-keys + ClientCertificateCredential', azureCertificate);
  await check('node-vault transit', vault);
  const failed = results.filter(([, ok]) => !ok).length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})();
