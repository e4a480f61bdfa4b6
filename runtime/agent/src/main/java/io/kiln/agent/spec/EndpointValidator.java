package io.kiln.agent.spec;

import io.kiln.template.BuildParameters;
import io.kiln.template.Constants;
import io.kiln.template.ParameterException;
import io.kiln.template.Parameters;
import io.kiln.template.Hook;
import io.kiln.template.ProgramDecl;
import io.kiln.template.TemplateDescriptor;

import java.util.ArrayList;
import java.util.List;

/**
 * Checks an endpoint against its template: the template exists, the build parameters are
 * declared and fit their types, the constants are declared and fit theirs. Errors name the spec's
 * line and field, e.g. {@code endpoints/web.yaml:3: template: unknown template 'endpiont'; known: endpoint}.
 */
public final class EndpointValidator {
    private EndpointValidator() {
    }

    /** The endpoint with its template and complete build parameters, and those of each chained template. */
    public record Valid(EndpointSpec spec, TemplateDescriptor template, BuildParameters build, List<ValidLink> chain) {
        public Valid {
            chain = List.copyOf(chain);
        }
    }

    /** One chained template, found, with its complete build parameters; {@code entry} as the spec wrote it. */
    public record ValidLink(ChainEntry entry, TemplateDescriptor template, BuildParameters build) {
    }

    public static Valid validate(EndpointSpec spec, TemplateCatalog catalog) {
        Origin o = spec.origin();
        TemplateDescriptor t = catalog.find(spec.template()).orElseThrow(() -> o.error("template",
                "unknown template '" + spec.template() + "'; known: " + (catalog.names().isEmpty() ? "none"
                        : String.join(", ", catalog.names()))));
        BuildParameters build;
        try {
            build = Parameters.resolve(t, spec.build());
        } catch (ParameterException e) {
            throw o.error("build." + e.parameter(), strip(e.getMessage(), t));
        }
        try {
            Constants.encodeAll(t, spec.constants());
        } catch (ParameterException e) {
            throw o.error("constants." + e.parameter(), strip(e.getMessage(), t));
        }
        // Without a MAC the constant stays 00:00:00:00:00:00 and every frame the endpoint sends is
        // dropped as spoofed. A spec the operator wrote is refused with the field named; a Pod is not
        // refused, because a refused Pod would run with no program at all, unenforced: it stays an
        // endpoint that drops what it sends (fail closed) until its kiln.io/mac annotation is set.
        if (spec.mac() == null && t.constant("ENDPOINT_MAC").isPresent() && !o.name().startsWith("pod ")) {
            throw o.error("mac", "missing; template " + t.name() + " needs the MAC of the endpoint's interface"
                    + " (ENDPOINT_MAC: it drops frames from any other source MAC), like 02:00:00:00:00:0c");
        }
        List<ValidLink> chain = new ArrayList<>();
        for (int i = 0; i < spec.chain().size(); i++) {
            chain.add(validateLink(spec.chain().get(i), "chain[" + i + "].", o, catalog));
        }
        return new Valid(spec, t, build, chain);
    }

    private static ValidLink validateLink(ChainEntry c, String path, Origin o, TemplateCatalog catalog) {
        TemplateDescriptor t = catalog.find(c.template()).orElseThrow(() -> o.error(path + "template",
                "unknown template '" + c.template() + "'; known: " + (catalog.names().isEmpty() ? "none"
                        : String.join(", ", catalog.names()))));
        for (ProgramDecl p : t.programs()) {
            if (p.hook() == Hook.XDP) {
                throw o.error(path + "template", "template " + t.name() + " has program " + p.name()
                        + " on xdp; a chain runs before the dataplane on tc-ingress and tc-egress only");
            }
        }
        BuildParameters build;
        try {
            build = Parameters.resolve(t, c.build());
        } catch (ParameterException e) {
            throw o.error(path + "build." + e.parameter(), strip(e.getMessage(), t));
        }
        try {
            Constants.encodeAll(t, c.constants());
        } catch (ParameterException e) {
            throw o.error(path + "constants." + e.parameter(), strip(e.getMessage(), t));
        }
        return new ValidLink(c, t, build);
    }

    /** "template endpoint: build parameter ipv6: expected ..." says the template and field twice once placed. */
    private static String strip(String message, TemplateDescriptor t) {
        String prefix = "template " + t.name() + ": ";
        String m = message.startsWith(prefix) ? message.substring(prefix.length()) : message;
        int colon = m.indexOf(": ");
        if (m.startsWith("build parameter ") || m.startsWith("constant ")) {
            m = colon < 0 ? m : m.substring(colon + 2);
        }
        return m + " (template " + t.name() + ")";
    }
}
