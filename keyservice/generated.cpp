// protoc's output for keyservice.proto, compiled as one translation unit (gRPC headers are slow
// to compile; one unit builds them once).
#include "keyservice.pb.cc"
#include "keyservice.grpc.pb.cc"
