// ks_tier0.bpf.c with ks_counters_maps of 2 endpoints (a shrink below the endpoints registered).
#define KS_ENDPOINTS_SIZE 2
#include "ks_tier0.bpf.c"
