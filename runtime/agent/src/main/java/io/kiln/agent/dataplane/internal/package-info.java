/** Implementation of the kernel dataplane: map writers and readers, the fingerprint files, the store index. */
package io.kiln.agent.dataplane.internal;
