package io.kiln.cli;

import io.kiln.template.RenderedSource;
import io.kiln.template.Renderer;
import io.kiln.template.TemplateDescriptor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "render", mixinStandardHelpOptions = true,
        description = "Render one variant of a template to C (with #line directives back to the template).")
final class RenderCommand implements Callable<Integer> {
    @Mixin
    TemplateOptions template;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE", description = "Write the C source here instead of stdout.")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        TemplateDescriptor descriptor = template.descriptor();
        RenderedSource source = new Renderer().render(descriptor, template.parameters(descriptor));
        if (out != null) {
            Files.writeString(out, source.text(), StandardCharsets.UTF_8);
        } else {
            spec.commandLine().getOut().print(source.text());
            spec.commandLine().getOut().flush();
        }
        return 0;
    }
}
