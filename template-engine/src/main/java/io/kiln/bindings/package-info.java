/**
 * Typed Java bindings for a template, like bpf2go or a libbpf skeleton: one self-contained source
 * file per template (it needs nothing but {@code java.base}) with the names of its programs, maps
 * and build parameters, a record for its endpoint constants that encodes them into the bytes
 * {@code BpfObject.setConstant} takes, and a key and value record for each map, laid out as the
 * compiled object's BTF says. Pure Java and kernel-free: {@link io.kiln.bindings.BindingsGenerator}
 * reads a template's descriptor and one of its compiled objects.
 */
package io.kiln.bindings;
