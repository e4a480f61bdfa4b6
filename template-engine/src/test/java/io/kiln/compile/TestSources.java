package io.kiln.compile;

import io.kiln.template.BuildParameters;
import io.kiln.template.ConstantDecl;
import io.kiln.template.ConstantType;
import io.kiln.template.Hook;
import io.kiln.template.ProgramDecl;
import io.kiln.template.RenderedSource;
import io.kiln.template.TemplateDescriptor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Small real BPF sources for the compile and cache tests: a tc program with a {@code volatile const}
 * and a helper header in a separate include folder, laid out as a template root would be.
 */
public final class TestSources {
    public static final Path CLANG = Path.of("/usr/bin/clang");
    public static final String TEMPLATE_FILE = "hello.bpf.c.ftl";
    public static final String HEADER = "hello_lib.h";

    private TestSources() {
    }

    public static Clang clang() {
        return Clang.locate(CLANG);
    }

    /**
     * A template root {@code base/templates} holding {@code hello.bpf.c.ftl} and an include folder
     * {@code base/lib} holding {@code hello_lib.h}.
     */
    public static TemplateDescriptor layout(Path base) throws IOException {
        Path root = Files.createDirectories(base.resolve("templates"));
        Path lib = Files.createDirectories(base.resolve("lib"));
        Files.writeString(root.resolve(TEMPLATE_FILE), "// stands in for the FreeMarker template\n");
        writeHeader(lib, 1);
        return template(root, List.of(root, lib));
    }

    public static TemplateDescriptor template(Path root, List<Path> includeDirs) {
        return new TemplateDescriptor("hello", root, root.resolve("hello.template.yaml"), root.resolve(TEMPLATE_FILE),
                includeDirs, List.of(new ProgramDecl("hello", Hook.TC_INGRESS)), List.of(),
                List.of(new ConstantDecl("X", ConstantType.U32, "threshold")), List.of());
    }

    /** Rewrites the helper header; {@code version} changes the code the program compiles to. */
    public static void writeHeader(Path lib, int version) throws IOException {
        Files.writeString(lib.resolve(HEADER), """
                #pragma once
                #define HELLO_LIB_VERSION %d
                static __always_inline int pick(__u32 x, __u32 len)
                {
                    return len > x + HELLO_LIB_VERSION ? 2 : 0;
                }
                """.formatted(version));
    }

    /** The program, {@code variant} changing its code so that distinct variants get distinct objects. */
    public static String program(int variant) {
        return """
                #line 1 "hello.bpf.c.ftl"
                #include <linux/bpf.h>
                #include <linux/types.h>
                #include <bpf/bpf_helpers.h>
                #include "hello_lib.h"

                volatile const __u32 X = 0;

                SEC("tc")
                int hello(struct __sk_buff *skb)
                {
                    return pick(X, skb->len + %d);
                }

                char LICENSE[] SEC("license") = "GPL";
                """.formatted(variant);
    }

    public static RenderedSource source(TemplateDescriptor template, String text) {
        return new RenderedSource(template, BuildParameters.of(Map.of("dropEnabled", true)), "hello.bpf.c", text);
    }

    public static RenderedSource source(TemplateDescriptor template, int variant) {
        return source(template, program(variant));
    }
}
