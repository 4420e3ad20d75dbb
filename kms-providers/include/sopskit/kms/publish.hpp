// `sops publish` destinations that receive the encrypted file: an S3 PutObject and a Google
// Cloud Storage media upload, authenticated as the KMS keys of the same cloud are.
#pragma once
#include <string>
#include <string_view>

#include "sopskit/kms.hpp"

namespace sopskit::kms {

// s3://BUCKET/KEY with SigV4 (service "s3"), the AWS credential chain the KMS key uses, the
// region from AWS_REGION or the profile's `region`, and the endpoint from AWS_ENDPOINT_URL_S3 /
// AWS_ENDPOINT_URL (an IP-address endpoint or a bucket that is no DNS label: path style, as
// the SDK). Throws Error(Generic) saying what failed; never echoes credentials.
void put_s3_object(const std::string& bucket, const std::string& key, std::string_view body,
                   const KmsSettings& settings = {});

// gcs://BUCKET/OBJECT through the JSON API (uploadType=media) with the OAuth bearer token the
// Cloud KMS key would use (scope devstorage.read_write), at storage.googleapis.com or
// SOPSKIT_GCS_ENDPOINT. Throws Error(Generic).
void upload_gcs_object(const std::string& bucket, const std::string& object, std::string_view body,
                       const KmsSettings& settings = {});

}  // namespace sopskit::kms
