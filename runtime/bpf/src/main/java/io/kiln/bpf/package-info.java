/**
 * Kiln's binding to the system libbpf (1.1 or later, through JNA): the only way Kiln talks to
 * the kernel. Names follow libbpf's {@code object__verb} convention.
 *
 * <pre>{@code
 * try (BpfObject object = BpfObject.open(elfBytes, "endpoint")) {
 *     object.setConstant("ENDPOINT_ID", le16(12));          // .rodata, before load
 *     object.map("policy").setPinPath(endpointDir.resolve("policy"));
 *     object.load();                                         // VerifierException on rejection
 *     BpfLink link = object.program("from_endpoint").attachTcx(ifindex, Direction.INGRESS);
 *     link.pin(endpointDir.resolve("links/from_endpoint"));
 * }
 * }</pre>
 *
 * <p>Ownership: a {@link io.kiln.bpf.BpfObject} owns its programs and maps and closes their fds;
 * standalone handles ({@code openPinned}, {@code fromId}) and links own their own fd. Closing an
 * fd never detaches what a pin, a link or a tc filter still holds. A {@link java.lang.ref.Cleaner}
 * closes what callers forget, as a safety net only.
 *
 * <p>Errors are {@link io.kiln.bpf.BpfException}s whose message names the object, program or map,
 * the operation, the errno as text and name, and what libbpf said (libbpf prints nothing itself).
 */
package io.kiln.bpf;
