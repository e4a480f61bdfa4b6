/**
 * Helpers for tests that run on the real kernel, for Kiln's own tests and template authors':
 * network namespaces and veth pairs a test creates and always deletes, the 198.18.0.0/15 address
 * rule, a leak check through bpftool, and {@link io.kiln.testing.KernelRequirements} which skips
 * where the kernel or root is missing, or fails under {@code KILN_REQUIRE_KERNEL=1}.
 */
package io.kiln.testing;
