package io.kiln.cli;

import io.kiln.template.BuildParameters;
import io.kiln.template.Parameters;
import io.kiln.template.TemplateDescriptor;
import io.kiln.template.Templates;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** TEMPLATE and --set, shared by the commands that render a variant. */
final class TemplateOptions {
    @picocli.CommandLine.Parameters(index = "0", paramLabel = "TEMPLATE",
            description = "A template's folder or its NAME.template.yaml descriptor.")
    Path template;

    @Option(names = {"-s", "--set"}, paramLabel = "NAME=VALUE",
            description = "Set a build parameter (repeatable). Unset parameters take the descriptor's default.")
    List<String> assignments = new ArrayList<>();

    TemplateDescriptor descriptor() {
        return Templates.load(template);
    }

    BuildParameters parameters(TemplateDescriptor descriptor) {
        return Parameters.resolve(descriptor, Parameters.parseAssignments(assignments));
    }
}
