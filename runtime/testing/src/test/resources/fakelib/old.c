/* A libbpf.so.1 that says it is 0.8. */
unsigned libbpf_major_version(void) { return 0; }
unsigned libbpf_minor_version(void) { return 8; }
