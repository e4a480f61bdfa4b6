/* A libbpf.so.1 that claims 1.1 but lacks the functions Kiln binds. */
unsigned libbpf_major_version(void) { return 1; }
unsigned libbpf_minor_version(void) { return 1; }
