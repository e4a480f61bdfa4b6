package io.kiln.bindings;

import java.io.IOException;
import java.io.StringWriter;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/** Compiles generated sources (with lint warnings as errors) and loads them in a class loader of their own. */
final class GeneratedJava {
    private GeneratedJava() {
    }

    static ClassLoader compile(Path dir, List<GeneratedSource> generated, String... extraSources) throws IOException {
        Path src = Files.createDirectories(dir.resolve("src"));
        Path out = Files.createDirectories(dir.resolve("classes"));
        List<String> args = new ArrayList<>(List.of("-d", out.toString(), "-Xlint:all", "-Werror", "-encoding", "UTF-8",
                "--release", "17"));
        for (GeneratedSource g : generated) {
            Path file = src.resolve(g.relativePath());
            Files.createDirectories(file.getParent());
            Files.writeString(file, g.text());
            args.add(file.toString());
        }
        for (String resource : extraSources) {
            try (var in = GeneratedJava.class.getResourceAsStream(resource)) {
                Path file = src.resolve(Path.of(resource).getFileName().toString());
                Files.write(file, in.readAllBytes());
                args.add(file.toString());
            }
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter errors = new StringWriter();
        int exit = javac.run(null, null, null, withOutput(args, errors));
        if (exit != 0) {
            throw new AssertionError("javac failed on generated code (exit " + exit + ")");
        }
        return new URLClassLoader(new URL[] {out.toUri().toURL()}, GeneratedJava.class.getClassLoader());
    }

    private static String[] withOutput(List<String> args, StringWriter ignored) {
        return args.toArray(String[]::new);
    }
}
