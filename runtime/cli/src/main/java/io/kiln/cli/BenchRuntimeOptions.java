package io.kiln.cli;

import io.kiln.KilnException;
import io.kiln.build.BuiltVariant;
import io.kiln.runtime.AttachMode;
import io.kiln.runtime.TemplateObject;
import io.kiln.bench.BenchLab;
import io.kiln.bench.Conventions;
import io.kiln.template.Constants;
import io.kiln.template.Parameters;
import io.kiln.template.TemplateDescriptor;
import io.kiln.template.Templates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** What the runtime benchmarks share: the template and its variant, the endpoint's constants, the attach mode. */
final class BenchRuntimeOptions {
    @Option(names = "--template", paramLabel = "TEMPLATE",
            description = "Template folder or descriptor. Default: the dataplane's endpoint template"
                    + " (bpf-templates/src/main/bpf/endpoint), else the sample examples/templates/hello.")
    Path template;

    @Option(names = {"-s", "--set"}, paramLabel = "NAME=VALUE",
            description = "Set a build parameter (repeatable). Unset parameters take the descriptor's default.")
    List<String> assignments = new ArrayList<>();

    @Option(names = {"-c", "--constant"}, paramLabel = "NAME=VALUE",
            description = "Set an endpoint constant (repeatable). Constants with the endpoint template's names"
                    + " (ENDPOINT_IPV4, ENDPOINT_MAC, NODE_MAC, ...) default to the benchmark's veth.")
    List<String> constants = new ArrayList<>();

    @Option(names = "--mode", paramLabel = "auto|tcx|tc", defaultValue = "auto",
            description = "How tc programs attach: tcx links where the kernel has them (auto), tcx, or legacy tc"
                    + " (default: ${DEFAULT-VALUE}).")
    String mode;

    @Mixin
    CacheOptions cache;

    TemplateDescriptor descriptor() {
        if (template != null) {
            return Templates.load(template);
        }
        Path endpoint = KilnHome.dir().resolve("bpf-templates/src/main/bpf/endpoint");
        return Templates.load(Files.isDirectory(endpoint) ? endpoint : KilnHome.exampleTemplate("hello"));
    }

    /** Renders and compiles (through the object cache) the chosen variant. */
    TemplateObject object(TemplateDescriptor descriptor, Map<String, Object> report) {
        BuiltVariant v = cache.builder().build(descriptor, Parameters.resolve(descriptor,
                Parameters.parseAssignments(assignments)));
        report.put("template", descriptor.name());
        report.put("parameters", v.parameters().canonical());
        report.put("variantKey", v.result().object().key().hex());
        report.put("objectBytes", v.result().object().size());
        report.put("programs", descriptor.programs().size());
        return TemplateObject.of(descriptor, v.result().object());
    }

    /** Conventional values for the lab, overridden by --constant, encoded. */
    Map<String, byte[]> constants(TemplateDescriptor descriptor, BenchLab lab, int endpointId) {
        Map<String, Object> values = new LinkedHashMap<>(Conventions.constants(descriptor, lab, endpointId));
        values.putAll(Parameters.parseAssignments(constants));
        return Constants.encodeAll(descriptor, values);
    }

    AttachMode attachMode() {
        return attachMode(mode);
    }

    /** The benchmarks' {@code --mode auto|tcx|tc}. */
    static AttachMode attachMode(String mode) {
        return switch (mode.toLowerCase(Locale.ROOT)) {
            case "auto" -> AttachMode.AUTO;
            case "tcx" -> AttachMode.TCX;
            case "tc", "legacy", "legacy-tc" -> AttachMode.LEGACY_TC;
            default -> throw new BadInput("--mode " + mode + ": use auto, tcx or tc");
        };
    }

    /** A benchmark asked for something it cannot do with the template or options given. */
    static final class BadInput extends KilnException {
        private static final long serialVersionUID = 1L;

        BadInput(String message) {
            super(message);
        }

        @Override
        public boolean isUserError() {
            return true;
        }
    }

    /** One line on stderr and exit 2 unless root: the benchmarks load BPF programs and make network namespaces. */
    static Integer requireRoot(String command, java.io.PrintWriter err) {
        if (BenchLab.haveRoot()) {
            return null;
        }
        err.println("kiln: " + command + " needs root (it loads BPF programs and creates network namespaces);"
                + " run it as root");
        err.flush();
        return Main.EXIT_BAD_INPUT;
    }
}
