// Known-answer vectors for sopskit's ML-KEM-768, made by an independent implementation:
// @noble/post-quantum 0.7.1 (npm). Run once; its output, kat.json, is checked in beside it.
//   mkdir /tmp/kat && cd /tmp/kat && npm install @noble/post-quantum@0.7.1
//   node --input-type=module < .../testdata/mlkem/generate.mjs > .../testdata/mlkem/kat.json
// Inputs come from SHAKE256 of a label, so anyone can regenerate the same file.
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { ml_kem768_x25519 } from '@noble/post-quantum/hybrid.js';
import { sha3_256, shake256 } from '@noble/hashes/sha3.js';

const hex = (b) => Buffer.from(b).toString('hex');
const input = (label, n) => shake256(new TextEncoder().encode(label), { dkLen: n });

const cases = [];
for (let i = 0; i < 16; i++) {
  const d = input(`sopskit mlkem d ${i}`, 32), z = input(`sopskit mlkem z ${i}`, 32), m = input(`sopskit mlkem m ${i}`, 32);
  const { publicKey, secretKey } = ml_kem768.keygen(new Uint8Array([...d, ...z]));
  const { cipherText, sharedSecret } = ml_kem768.encapsulate(publicKey, m);
  if (hex(ml_kem768.decapsulate(cipherText, secretKey)) !== hex(sharedSecret)) throw new Error('noble disagrees with itself');
  // Implicit rejection: one flipped bit in the ciphertext gives J(z || c'), not an error.
  const bad = Uint8Array.from(cipherText);
  bad[(i * 67) % bad.length] ^= 1 << (i % 8);
  const c = { d: hex(d), z: hex(z), m: hex(m), ek_sha3_256: hex(sha3_256(publicKey)), dk_sha3_256: hex(sha3_256(secretKey)),
              ct_sha3_256: hex(sha3_256(cipherText)), shared_secret: hex(sharedSecret),
              tampered_ct_index: (i * 67) % bad.length, tampered_ct_xor: 1 << (i % 8),
              rejection_secret: hex(ml_kem768.decapsulate(bad, secretKey)) };
  if (i === 0) Object.assign(c, { ek: hex(publicKey), dk: hex(secretKey), ct: hex(cipherText) });
  cases.push(c);
}

// X-Wing (the age hybrid's KEM): the 1216-byte public key expanded from a 32-byte seed.
const xwing = [];
for (let i = 0; i < 4; i++) {
  const seed = input(`sopskit xwing seed ${i}`, 32);
  const { publicKey } = ml_kem768_x25519.keygen(seed);
  xwing.push({ seed: hex(seed), public_key_sha3_256: hex(sha3_256(publicKey)) });
}

console.log(JSON.stringify({ generator: '@noble/post-quantum 0.7.1', mlkem768: cases, xwing }, null, 1));
