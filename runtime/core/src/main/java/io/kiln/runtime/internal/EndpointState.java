package io.kiln.runtime.internal;

import io.kiln.runtime.Attachment;
import io.kiln.host.Netns;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What a process records about an attached endpoint so that a later one can adopt it: bpffs holds
 * the pins but no regular files, so this lives in the state folder as JSON.
 *
 * @param variantKey      null when the object came without one
 * @param createdClsact   true when Kiln created the interface's clsact qdisc (then detach removes it)
 */
public record EndpointState(int endpointId, String interfaceName, Netns namespace, int ifindex, String template,
                            String variantKey, String objectDigest, String constantsDigest, boolean createdClsact,
                            List<Attachment> attachments, Map<String, Path> mapPins, Instant updated) {
    public EndpointState {
        attachments = List.copyOf(attachments);
        mapPins = Map.copyOf(mapPins);
    }
}
