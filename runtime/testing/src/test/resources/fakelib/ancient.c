/* A libbpf.so.1 from before libbpf_major_version() existed. */
int libbpf_get_error(const void *ptr) { return 0; }
