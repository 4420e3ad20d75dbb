// libcurl, loaded when the first cloud KMS request is made. Linking it made every sopskit run
// load its 30 libraries (10 M of a small decrypt's 38 M instructions went to the dynamic
// loader), though only KMS keys use it.
#pragma once
#include <curl/curl.h>

#include <string>

namespace sopskit::kms {

struct CurlLibrary {
    decltype(&::curl_global_init) global_init;
    decltype(&::curl_easy_init) easy_init;
    decltype(&::curl_easy_setopt) easy_setopt;
    decltype(&::curl_easy_perform) easy_perform;
    decltype(&::curl_easy_getinfo) easy_getinfo;
    decltype(&::curl_easy_cleanup) easy_cleanup;
    decltype(&::curl_easy_strerror) easy_strerror;
    decltype(&::curl_slist_append) slist_append;
    decltype(&::curl_slist_free_all) slist_free_all;
};

// The loaded library, initialised once; nullptr with `error` set when libcurl.so.4 is missing.
const CurlLibrary* curl_library(std::string& error);

}  // namespace sopskit::kms
