// ks_tier0.bpf.c with ks_counters_maps of 128 endpoints instead of 64 (a changed endpointsSize).
#define KS_ENDPOINTS_SIZE 128
#include "ks_tier0.bpf.c"
