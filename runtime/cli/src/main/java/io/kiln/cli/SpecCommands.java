package io.kiln.cli;

import io.kiln.KilnException;
import io.kiln.agent.spec.Spec;
import io.kiln.agent.spec.SpecKind;
import io.kiln.agent.spec.SpecReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code kiln endpoint|policy|service apply FILE} and {@code ... delete KEY}, through the agent's local API. */
final class SpecCommands {
    private SpecCommands() {
    }

    /**
     * Reads and checks the spec here first (so errors name FILE and its line), then sends it. The
     * agent checks the rest (the template and its parameters, clashes with other specs).
     */
    static int apply(SpecKind kind, ApiOptions api, Path file, PrintWriter out) {
        String text;
        String source = file.toString();
        if (source.equals("-")) {
            try {
                text = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new KilnException("read the " + kind.word() + " from standard input: " + e.getMessage(), e);
            }
            source = "stdin";
        } else {
            text = SpecReader.text(file);
        }
        Spec s = SpecReader.read(kind, source, text);
        api.client().apply(kind, text);
        out.println(kind.word() + " " + s.key() + " applied");
        out.flush();
        return 0;
    }

    static int delete(SpecKind kind, ApiOptions api, String key, PrintWriter out) {
        api.client().delete(kind, key);
        out.println(kind.word() + " " + key + " deleted");
        out.flush();
        return 0;
    }

    @Command(name = "endpoint", mixinStandardHelpOptions = true,
            description = "Apply or delete an endpoint spec through the running agent's local API.")
    static final class EndpointCommand {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Command(name = "apply", mixinStandardHelpOptions = true, description = "Apply an endpoint spec (YAML or JSON; - reads stdin).")
        int apply(@Mixin ApiOptions api, @Parameters(paramLabel = "FILE") Path file) {
            return SpecCommands.apply(SpecKind.ENDPOINT, api, file, spec.commandLine().getOut());
        }

        @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete an endpoint applied through the API.")
        int delete(@Mixin ApiOptions api, @Parameters(paramLabel = "ID") String id) {
            return SpecCommands.delete(SpecKind.ENDPOINT, api, id, spec.commandLine().getOut());
        }
    }

    @Command(name = "policy", mixinStandardHelpOptions = true,
            description = "Apply or delete a policy spec through the running agent's local API.")
    static final class PolicyCommand {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Command(name = "apply", mixinStandardHelpOptions = true, description = "Apply a policy spec (YAML or JSON; - reads stdin).")
        int apply(@Mixin ApiOptions api, @Parameters(paramLabel = "FILE") Path file) {
            return SpecCommands.apply(SpecKind.POLICY, api, file, spec.commandLine().getOut());
        }

        @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a policy applied through the API.")
        int delete(@Mixin ApiOptions api, @Parameters(paramLabel = "NAME") String name) {
            return SpecCommands.delete(SpecKind.POLICY, api, name, spec.commandLine().getOut());
        }
    }

    @Command(name = "service", mixinStandardHelpOptions = true,
            description = "Apply or delete a service spec through the running agent's local API.")
    static final class ServiceCommand {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Command(name = "apply", mixinStandardHelpOptions = true, description = "Apply a service spec (YAML or JSON; - reads stdin).")
        int apply(@Mixin ApiOptions api, @Parameters(paramLabel = "FILE") Path file) {
            return SpecCommands.apply(SpecKind.SERVICE, api, file, spec.commandLine().getOut());
        }

        @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a service applied through the API.")
        int delete(@Mixin ApiOptions api, @Parameters(paramLabel = "NAME") String name) {
            return SpecCommands.delete(SpecKind.SERVICE, api, name, spec.commandLine().getOut());
        }
    }
}
