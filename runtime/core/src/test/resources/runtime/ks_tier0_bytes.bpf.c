// ks_tier0.bpf.c whose counters also count bytes: the inner map's value grows from 8 to 16 bytes.
#define KS_COUNT_BYTES 1
#include "ks_tier0.bpf.c"
