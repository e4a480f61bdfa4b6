package io.kiln.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kiln.templates.DropReason;
import io.kiln.templates.EndpointDefines;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The numbers Java keeps by hand because the headers only {@code #define} them (BTF carries no
 * macros) equal the headers': DropReason (drop_reasons.h) and EndpointDefines.
 */
class DropReasonMirrorTest {
    private static final Pattern REASON = Pattern.compile("^#define REASON_([A-Z0-9_]+)\\s+(\\d+)\\s", Pattern.MULTILINE);
    private static final Path INCLUDE = Path.of("src/main/bpf/include/kiln");

    @Test
    void javaListEqualsTheHeader() throws Exception {
        String header = Files.readString(INCLUDE.resolve("drop_reasons.h"));
        Map<String, Integer> inC = new TreeMap<>();
        Matcher m = REASON.matcher(header);
        while (m.find()) {
            inC.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        Map<String, Integer> inJava = new TreeMap<>();
        for (DropReason r : DropReason.values()) {
            inJava.put(r.name(), r.code());
        }
        assertEquals(inC, inJava);
        assertEquals(DropReason.MAX, define("drop_reasons.h", "KILN_REASON_MAX"));
        assertEquals(DropReason.FIRST_DROP, define("drop_reasons.h", "KILN_REASON_FIRST_DROP"));
    }

    @Test
    void endpointDefinesEqualTheHeaders() throws Exception {
        assertEquals(EndpointDefines.DIR_INGRESS, define("direction.h", "DIR_INGRESS"));
        assertEquals(EndpointDefines.DIR_EGRESS, define("direction.h", "DIR_EGRESS"));
        assertEquals(EndpointDefines.POLICY_ALLOW, define("policy.h", "POLICY_ALLOW"));
        assertEquals(EndpointDefines.POLICY_DENY, define("policy.h", "POLICY_DENY"));
        assertEquals(EndpointDefines.CT_KIND_INGRESS, define("conntrack.h", "CT_KIND_INGRESS"));
        assertEquals(EndpointDefines.CT_KIND_EGRESS, define("conntrack.h", "CT_KIND_EGRESS"));
        assertEquals(EndpointDefines.CT_KIND_SERVICE, define("conntrack.h", "CT_KIND_SERVICE"));
        assertEquals(EndpointDefines.IDENTITY_ANY, define("identity.h", "IDENTITY_ANY"));
        assertEquals(EndpointDefines.IDENTITY_HOST, define("identity.h", "IDENTITY_HOST"));
        assertEquals(EndpointDefines.IDENTITY_WORLD, define("identity.h", "IDENTITY_WORLD"));
        assertEquals(EndpointDefines.IDENTITY_MARK_MAGIC, define("identity.h", "IDENTITY_MARK_MAGIC"));
    }

    /** The value of {@code #define NAME <decimal or 0x hex>} in a header. */
    private static int define(String header, String name) throws Exception {
        Matcher m = Pattern.compile("^#define\\s+" + name + "\\s+(0x[0-9a-fA-F]+|\\d+)\\b", Pattern.MULTILINE)
                .matcher(Files.readString(INCLUDE.resolve(header)));
        if (!m.find()) {
            throw new AssertionError(header + " has no #define " + name);
        }
        return Integer.decode(m.group(1));
    }
}
