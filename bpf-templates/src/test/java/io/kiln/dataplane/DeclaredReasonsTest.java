package io.kiln.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.template.Parameters;
import io.kiln.template.Renderer;
import io.kiln.template.TemplateDescriptor;
import io.kiln.template.Templates;
import io.kiln.templates.EndpointBpf;
import io.kiln.templates.EndpointDefines;
import io.kiln.templates.XdpPrefilterBpf;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Each template's reasons come from its descriptor, into the C (<@kiln.declareReasons/>) and into the
 * bindings (the generated DropReason enums): the two agree, and Kiln's own templates keep the
 * drop_reasons.h convention (0..7 went on, 8..63 dropped; one name, one code across templates).
 * The numbers the headers only {@code #define} (BTF carries no macros) equal EndpointDefines'.
 */
class DeclaredReasonsTest {
    private static final Pattern REASON = Pattern.compile("^#define REASON_([A-Z0-9_]+) (\\d+) /\\* (drop|pass)",
            Pattern.MULTILINE);
    private static final Path INCLUDE = Path.of("src/main/bpf/include/kiln");

    /** NAME -> "code drop|pass" as the rendered C of the default variant defines them. */
    private static Map<String, String> inC(Path template) {
        TemplateDescriptor t = Templates.load(template);
        String c = new Renderer().render(t, Parameters.resolve(t, Map.of())).text();
        assertTrue(c.contains("#define KILN_REASON_SLOTS " + EndpointBpf.DropReason.SLOTS + "\n"), template.toString());
        Map<String, String> out = new TreeMap<>();
        Matcher m = REASON.matcher(c);
        while (m.find()) {
            out.put(m.group(1), m.group(2) + " " + m.group(3));
        }
        return out;
    }

    private static <E extends Enum<E>> Map<String, String> inJava(Class<E> reasons,
                                                                    java.util.function.ToIntFunction<E> code,
                                                                    java.util.function.Predicate<E> drop) {
        Map<String, String> out = new TreeMap<>();
        for (E r : reasons.getEnumConstants()) {
            out.put(r.name(), code.applyAsInt(r) + " " + (drop.test(r) ? "drop" : "pass"));
        }
        return out;
    }

    @Test
    void generatedEnumsEqualTheRenderedC() {
        Map<String, String> endpoint = inJava(EndpointBpf.DropReason.class, EndpointBpf.DropReason::code,
                EndpointBpf.DropReason::isDrop);
        assertEquals(inC(Fixture.ENDPOINT), endpoint);
        assertEquals(inC(Fixture.PREFILTER), inJava(XdpPrefilterBpf.DropReason.class, XdpPrefilterBpf.DropReason::code,
                XdpPrefilterBpf.DropReason::isDrop));
        assertEquals("metrics", EndpointBpf.DropReason.COUNTERS_MAP);
        assertEquals("metrics", XdpPrefilterBpf.DropReason.COUNTERS_MAP);
        // the numbers pinned maps, tier 0 and dashboards already hold
        assertEquals(0, EndpointBpf.DropReason.FORWARDED.code());
        assertEquals(8, EndpointBpf.DropReason.POLICY_DENIED.code());
        assertEquals(22, EndpointBpf.DropReason.POLICY_MAP_MISSING.code());
        assertEquals(24, endpoint.size()); // DNS_HELD (40) and DNS_AGENT_DOWN (41) are dns.h's; DNS_QUERY_MALFORMED (42), DNS_QUERY_TCP (43) and DNS_REFUSED (44) dns_query.h's; ND_REPLIED (5) is the ND responder's; the prefilter's PREFILTER_AUDIT (4) and PREFILTER_DENIED (21) are its own
    }

    @Test
    void kilnsTemplatesKeepTheHeadersConvention() throws Exception {
        int firstDrop = define("drop_reasons.h", "KILN_REASON_FIRST_DROP");
        Map<String, Integer> codes = new LinkedHashMap<>();
        for (EndpointBpf.DropReason r : EndpointBpf.DropReason.values()) {
            assertEquals(r.code() >= firstDrop, r.isDrop(), r.name());
            codes.put(r.name(), r.code());
        }
        for (XdpPrefilterBpf.DropReason r : XdpPrefilterBpf.DropReason.values()) {
            assertEquals(r.code() >= firstDrop, r.isDrop(), r.name());
            Integer other = codes.putIfAbsent(r.name(), r.code());
            assertTrue(other == null || other == r.code(), r.name() + " has two codes");
        }
        assertEquals(codes.size(), codes.values().stream().distinct().count(), "one code, one name: " + codes);
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
