/**
 * The byte layouts of the dataplane templates' maps ({@link io.kiln.runtime.maps.EndpointMaps}) and
 * their verdict reasons ({@link io.kiln.runtime.maps.DropReason}), as bpf-templates' README documents
 * them: the agent writes and reads its maps through these, tests fill maps with them.
 */
package io.kiln.runtime.maps;
