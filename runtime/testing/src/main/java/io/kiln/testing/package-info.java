/**
 * Helpers for tests that run on the real kernel, for Kiln's own tests and template authors':
 * <ul>
 *   <li>{@link io.kiln.testing.TemplateUnderTest}: compile a variant (once per JVM, {@link io.kiln.testing.SharedVariants}),
 *       specialize it with constants, load it, fill its maps ({@link io.kiln.testing.TestMap},
 *       {@link io.kiln.testing.StructBytes}), run packets through {@code BPF_PROG_TEST_RUN} and assert the
 *       verdict and output ({@link io.kiln.testing.TestRun}).</li>
 *   <li>{@link io.kiln.lab.Packets} builds Ethernet, ARP, IPv4, IPv6, TCP, UDP and ICMP frames with right
 *       checksums; {@link io.kiln.lab.PacketView} reads them back and checks checksums.</li>
 *   <li>Network namespaces and veth pairs a test creates and always deletes, the 198.18.0.0/15 address rule, a
 *       leak check through bpftool, and {@link io.kiln.testing.KernelRequirements}, which skips where the kernel
 *       or root is missing, or fails under {@code KILN_REQUIRE_KERNEL=1}.</li>
 * </ul>
 */
package io.kiln.testing;
