package io.kiln.template;

import freemarker.cache.FileTemplateLoader;
import freemarker.cache.MultiTemplateLoader;
import freemarker.cache.TemplateLoader;
import freemarker.template.Configuration;
import io.kiln.template.internal.LineMarkers;
import io.kiln.template.internal.LockedDownConfiguration;
import io.kiln.template.internal.RenderModel;
import io.kiln.template.internal.TemplateRootsLoader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code #line} mapping, checked by clang itself: the template "mapping" writes a token
 * {@code tok_NAME} on each C line, and every token in clang's preprocessed output must sit at the
 * template file and line where the token is written.
 */
class LineMappingTest {
    private static final Pattern TOKEN = Pattern.compile("\\btok_\\w+");
    private static final Pattern LINEMARKER = Pattern.compile("# (\\d+) \"([^\"]*)\".*");

    private static TemplateDescriptor mapping;
    private static Map<String, String> tokenHomes;
    private static final Renderer RENDERER = new Renderer();

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() throws Exception {
        mapping = Templates.load(TestTemplates.resource("mapping"));
        tokenHomes = new HashMap<>();
        for (String file : List.of("mapping.bpf.c.ftl", "inc/part.ftl")) {
            List<String> lines = Files.readAllLines(mapping.root().resolve(file));
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = TOKEN.matcher(lines.get(i));
                while (m.find()) {
                    String home = file + ":" + (i + 1);
                    String before = tokenHomes.put(m.group(), home);
                    assertEquals(null, before, "token " + m.group() + " is written twice");
                }
                if (lines.get(i).contains("<@kiln.declareConstants/>")) {
                    tokenHomes.put("volatile const", file + ":" + (i + 1));
                }
            }
        }
    }

    static List<BuildParameters> variants() {
        return Parameters.matrix(Templates.load(TestTemplates.resource("mapping")));
    }

    @ParameterizedTest
    @MethodSource("variants")
    void everyTokenLandsOnItsTemplateLine(BuildParameters p) throws Exception {
        Clang.assumeAvailable();
        RenderedSource source = RENDERER.render(mapping, p);
        Clang.Result pp = Clang.preprocess(tmp, source.text());
        assertEquals(0, pp.exitCode(), pp.stderr());

        Map<String, List<String>> wrong = new LinkedHashMap<>();
        TreeSet<String> seen = new TreeSet<>();
        String file = "?";
        int line = 0;
        for (String out : pp.stdout().split("\n", -1)) {
            Matcher marker = LINEMARKER.matcher(out);
            if (marker.matches()) {
                line = Integer.parseInt(marker.group(1));
                file = marker.group(2);
                continue;
            }
            String at = file + ":" + line;
            Matcher m = TOKEN.matcher(out);
            while (m.find()) {
                seen.add(m.group());
                if (!tokenHomes.get(m.group()).equals(at)) {
                    wrong.computeIfAbsent(m.group(), k -> new ArrayList<>()).add("at " + at + ", written at "
                            + tokenHomes.get(m.group()));
                }
            }
            if (out.startsWith("volatile const") && !tokenHomes.get("volatile const").equals(at)) {
                wrong.computeIfAbsent(out, k -> new ArrayList<>()).add("at " + at + ", the call is at "
                        + tokenHomes.get("volatile const"));
            }
            line++;
        }
        if (!wrong.isEmpty()) {
            fail("misplaced tokens " + wrong + "\n--- rendered:\n" + source.text());
        }
        assertFalse(pp.stdout().contains("never_"), "a branch not taken produced output");
        boolean flag = (Boolean) p.get("flag");
        TreeSet<String> expected = new TreeSet<>(tokenHomes.keySet());
        expected.remove("volatile const");
        expected.remove(flag ? "tok_if_false" : "tok_if_true");
        if (!flag) {
            expected.removeAll(List.of("tok_after_multiline_if", "tok_inline_if", "tok_part_b", "tok_stripped_if_body"));
        } else if (!(Boolean) p.get("other")) {
            expected.remove("tok_after_multiline_if");
        }
        assertEquals(expected, seen);
    }

    @ParameterizedTest
    @MethodSource("variants")
    void markersDoNotChangeTheOutput(BuildParameters p) throws Exception {
        assertEquals(render(mapping, p, false), render(mapping, p, true));
    }

    @Test
    void markersDoNotChangeTheOutputOfTheExamples() throws Exception {
        for (Path folder : List.of(TestTemplates.resource("endpoint"),
                TestTemplates.repositoryRoot().resolve("examples/templates/hello"))) {
            TemplateDescriptor t = Templates.load(folder);
            for (BuildParameters p : Parameters.matrix(t)) {
                assertEquals(render(t, p, false), render(t, p, true), t.name() + " " + p);
            }
        }
    }

    /**
     * FreeMarker's own output through the locked-down configuration, with the marking loader or a
     * plain one, markers stripped: the two must be equal, whitespace stripping included.
     */
    private static String render(TemplateDescriptor t, BuildParameters p, boolean marked) throws Exception {
        TemplateRootsLoader roots = new TemplateRootsLoader(t.includeDirs());
        TemplateLoader loader = roots;
        if (!marked) {
            List<TemplateLoader> loaders = new ArrayList<>();
            for (Path dir : t.includeDirs()) {
                loaders.add(new FileTemplateLoader(dir.toFile()));
            }
            loader = new MultiTemplateLoader(loaders.toArray(new TemplateLoader[0]));
        }
        Configuration cfg = LockedDownConfiguration.create(loader);
        StringWriter out = new StringWriter();
        cfg.getTemplate(t.templateFile().getFileName().toString()).process(RenderModel.build(t, p, roots), out);
        // The constants directive marks its lines itself, whatever the loader.
        return LineMarkers.strip(out.toString());
    }

    @Test
    void clangDiagnosticNamesTheTemplateLine() throws Exception {
        Clang.assumeAvailable();
        Path folder = TestTemplates.write(tmp, "broken", """
                name: broken
                programs:
                  prog: { hook: xdp }
                build:
                  extra: { type: bool, default: true }
                """, """
                <#-- line 1 -->
                #include <linux/bpf.h>
                #include <bpf/bpf_helpers.h>
                <#if extra>

                static int unused_helper(void) { return 0; }
                </#if>
                <#list 1..3 as i>
                static int v${i};
                </#list>
                <#include "inc/bad.h.ftl">
                SEC("xdp")
                int prog(struct xdp_md *ctx)
                {
                <#if extra>
                	return XDP_PASS +;
                </#if>
                }
                char LICENSE[] SEC("license") = "GPL";
                """);
        Files.createDirectories(folder.resolve("inc"));
        Files.writeString(folder.resolve("inc/bad.h.ftl"), "<#-- a header -->\n<#if extra>\nstatic int bad = undeclared_thing;\n</#if>\n");
        TemplateDescriptor t = Templates.load(folder);

        RenderedSource source = RENDERER.render(t, Parameters.resolve(t, Map.of()));
        Clang.Result r = Clang.compile(tmp, source.fileName(), source.text(), t.includeDirs());

        assertEquals(1, r.exitCode(), r.stderr());
        assertTrue(r.stderr().contains("inc/bad.h.ftl:3:18: error: use of undeclared identifier 'undeclared_thing'"), r.stderr());
        assertTrue(r.stderr().contains("broken.bpf.c.ftl:16:19: error: expected expression"), r.stderr());
        assertFalse(r.stderr().contains(tmp.toString()), "diagnostics name files relative to the template root:\n" + r.stderr());
    }

    @Test
    void macroBodiesAndStrippedLinesKeepLinesExact() throws Exception {
        TemplateDescriptor t = TestTemplates.withSource(tmp, "", """
                <#macro m>
                  A
                  <#if true>
                  B
                  </#if>
                </#macro>
                X
                <@m/>
                Y
                """);
        String text = RENDERER.render(t, Parameters.resolve(t, Map.of())).text();
        assertEquals("""
                #line 7 "t.bpf.c.ftl"
                X
                #line 2 "t.bpf.c.ftl"
                  A
                #line 4 "t.bpf.c.ftl"
                  B
                #line 9 "t.bpf.c.ftl"
                Y
                """, text.substring(text.indexOf('\n') + 1));
    }

    @Test
    void noDirectiveInsideBlockCommentsOrContinuedLines() throws Exception {
        TemplateDescriptor t = TestTemplates.withSource(tmp, "", """
                /* one
                <#if true>
                   two */ int a;
                </#if>
                #define M \\
                <#if true>
                	x
                </#if>
                int b;
                """);
        String text = RENDERER.render(t, Parameters.resolve(t, Map.of())).text();
        assertEquals("""
                #line 1 "t.bpf.c.ftl"
                /* one

                   two */ int a;
                #line 5 "t.bpf.c.ftl"
                #define M \\
                \\
                	x
                #line 9 "t.bpf.c.ftl"
                int b;
                """, text.substring(text.indexOf('\n') + 1));
    }
}
