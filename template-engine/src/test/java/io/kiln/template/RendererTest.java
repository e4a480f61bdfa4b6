package io.kiln.template;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RendererTest {
    private final Renderer renderer = new Renderer();

    @TempDir
    Path tmp;

    /** The rendered text without its first line (the header comment) and without #line directives. */
    private static String body(RenderedSource s) {
        return String.join("\n", s.text().lines().skip(1).filter(l -> !l.startsWith("#line ")).toList());
    }

    private RenderedSource render(TemplateDescriptor t, Map<String, ?> given) {
        return renderer.render(t, Parameters.resolve(t, given));
    }

    private RenderException renderError(String source) {
        TemplateDescriptor t = TestTemplates.withSource(tmp, "", source);
        return assertThrows(RenderException.class, () -> render(t, Map.of()));
    }

    @Test
    void rendersParametersAsCWithoutGroupingOrLocale() {
        TemplateDescriptor t = TestTemplates.withSource(tmp, """
                  big:  { type: int, default: 1000000 }
                  neg:  { type: int, default: -42 }
                  on:   { type: bool, default: true }
                  off:  { type: bool, default: false }
                  mode: { type: enum, values: [a, b], default: b }
                  name: { type: identifier, default: my_prefix }
                """, "${big} ${neg} ${on} ${off} ${mode} ${name} ${1234567.5} ${big * 1000} ${on?then(1, 0)}\n");
        assertEquals("1000000 -42 true false b my_prefix 1234567.5 1000000000 1", body(render(t, Map.of())));
        assertEquals("4096 -42 false false b my_prefix 1234567.5 4096000 0",
                body(render(t, Map.of("big", "4096", "on", "false"))));
    }

    @Test
    void resultNamesTheVariant() {
        TemplateDescriptor t = Templates.load(TestTemplates.resource("endpoint"));
        BuildParameters p = Parameters.resolve(t, Map.of("ipv6", true));
        RenderedSource s = renderer.render(t, p);
        assertEquals("endpoint.bpf.c", s.fileName());
        assertEquals(t, s.template());
        assertEquals(p, s.parameters());
        assertTrue(s.text().startsWith("/* endpoint.bpf.c: rendered by Kiln from endpoint.bpf.c.ftl, build parameters"
                + " ctSize=65536,ipv6=true,policyMode=enforce,prefix=kiln. Do not edit. */\n#line 4 \"endpoint.bpf.c.ftl\"\n"),
                s.text());
        assertTrue(s.text().contains("#line 3 \"include/policy.h.ftl\""), s.text());
        assertTrue(s.text().contains("#line 3 \"../lib/helpers.ftl\""), s.text());
        assertTrue(s.text().contains("__uint(max_entries, 65536);"), s.text());
        assertTrue(s.text().contains("int from_endpoint(struct __sk_buff *skb)\n{\n\treturn kiln_handle(skb, 1);"), s.text());
        assertTrue(s.text().contains("int to_endpoint(struct __sk_buff *skb)\n{\n\treturn kiln_handle(skb, 0);"), s.text());
        assertFalse(s.text().contains(tmp.getRoot().toString() + "work"), "no absolute path in the output");
        assertFalse(s.text().contains(t.root().toString()), "no absolute path in the output");
    }

    @Test
    void deterministicAcrossRenderers() {
        TemplateDescriptor t = Templates.load(TestTemplates.resource("endpoint"));
        for (BuildParameters p : Parameters.matrix(t)) {
            String first = renderer.render(t, p).text();
            assertEquals(first, renderer.render(t, p).text());
            assertEquals(first, new Renderer().render(t, p).text());
        }
    }

    @Test
    void safeToShareBetweenThreads() throws Exception {
        TemplateDescriptor t = Templates.load(TestTemplates.resource("endpoint"));
        List<BuildParameters> matrix = Parameters.matrix(t);
        List<String> expected = matrix.stream().map(p -> new Renderer().render(t, p).text()).toList();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 48; i++) {
                int n = i % matrix.size();
                results.add(pool.submit(() -> renderer.render(t, matrix.get(n)).text().equals(expected.get(n))));
            }
            for (Future<Boolean> r : results) {
                assertTrue(r.get(60, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void modelDescribesTheTemplate() {
        TemplateDescriptor t = Templates.load(TestTemplates.resource("endpoint"));
        Path folder = TestTemplates.write(tmp, "endpoint", Files.exists(t.descriptorFile()) ? read(t.descriptorFile())
                .replace("includes: [include, ../lib]", "") : "", """
                ${kiln.template} ${kiln.variant}
                <#list kiln.constants as c>
                ${c.name} ${c.type} ${c.size} ${c.ctype} ${c.length} [${c.declaration}] [${c.description}]
                </#list>
                <#list kiln.programs as p>${p.name}:${p.hook}:${p.section} </#list>
                <#list kiln.maps as m>${m.name}:${m.scope}:${m.pinned} </#list>
                <#list kiln?keys as k>${k} </#list>
                """);
        TemplateDescriptor copy = Templates.load(folder);
        assertEquals("""
                endpoint ctSize=65536,ipv6=false,policyMode=enforce,prefix=kiln
                ENDPOINT_ID u16 2 __u16 0 [__u16 ENDPOINT_ID] [Endpoint id]
                IDENTITY u32 4 __u32 0 [__u32 IDENTITY] []
                ENDPOINT_IPV4 ipv4 4 __be32 0 [__be32 ENDPOINT_IPV4] []
                ENDPOINT_IPV6 ipv6 16 __be32 4 [__be32 ENDPOINT_IPV6[4]] []
                ENDPOINT_MAC mac 6 __u8 6 [__u8 ENDPOINT_MAC[6]] []
                DEBUG bool 1 __u8 0 [__u8 DEBUG] []
                from_endpoint:tc-ingress:tc to_endpoint:tc-egress:tc\s
                policy:endpoint:true ipcache:node:true scratch:endpoint:false\s
                template variant constants programs maps reasons reasonCounters declareConstants declareReasons\s""", body(render(copy, Map.of())));
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void declareConstantsWritesVolatileConstGlobals() {
        TemplateDescriptor t = Templates.load(TestTemplates.resource("endpoint"));
        String text = renderer.render(t, Parameters.resolve(t, Map.of())).text();
        assertTrue(text.contains("""
                /* ENDPOINT_ID (u16): Endpoint id */
                #line 14 "endpoint.bpf.c.ftl"
                volatile const __u16 ENDPOINT_ID = 0;
                #line 14 "endpoint.bpf.c.ftl"
                volatile const __u32 IDENTITY = 0;
                #line 14 "endpoint.bpf.c.ftl"
                volatile const __be32 ENDPOINT_IPV4 = 0;
                #line 14 "endpoint.bpf.c.ftl"
                volatile const __be32 ENDPOINT_IPV6[4] = {0};
                #line 14 "endpoint.bpf.c.ftl"
                volatile const __u8 ENDPOINT_MAC[6] = {0};
                #line 14 "endpoint.bpf.c.ftl"
                volatile const __u8 DEBUG = 0;
                """), text);

        RenderException e = renderError("<@kiln.declareConstants x=1/>\n");
        assertTrue(e.getMessage().contains("kiln.declareConstants takes no parameters and no body"), e.getMessage());
    }

    @Test
    void missingVariableIsAnErrorAtItsPlace() {
        RenderException e = renderError("int a;\n<#if true>\n  int x = ${nope} + 1;\n</#if>\n");
        Path file = tmp.resolve("t/t.bpf.c.ftl");
        assertEquals(file, e.templateFile());
        assertEquals(3, e.line());
        assertEquals(13, e.column());
        assertTrue(e.getMessage().startsWith(file + ":3:13: The following has evaluated to null or missing:\n==> nope"),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("\n(template t, build parameters none)"), e.getMessage());
        assertFalse(e.getMessage().contains("\uE000"), "no line marker leaks into messages");
        assertFalse(e.getMessage().contains("Tip:"), e.getMessage());
        assertTrue(e.isUserError());
    }

    @Test
    void missingHashKeyAndNullInListAreErrors() {
        assertTrue(renderError("${kiln.nothing}\n").getMessage().contains("==> kiln.nothing"));
        RenderException e = renderError("x\n  <#list [1, 2] as i>${i + missing}</#list>\n");
        assertEquals(2, e.line());
        assertEquals(28, e.column());
    }

    @Test
    void parseErrorsHaveTheirPlace() {
        RenderException e = renderError("int a;\nint b = ${1 +};\n");
        assertEquals(2, e.line());
        assertEquals(14, e.column());
        assertTrue(e.getMessage().startsWith(tmp.resolve("t/t.bpf.c.ftl") + ":2:14: Encountered \"}\""), e.getMessage());

        e = renderError("int a;\n<#if true>\nint b;\n");
        assertTrue(e.getMessage().contains("You have an unclosed #if"), e.getMessage());
    }

    @Test
    void errorInAnIncludedFileNamesThatFile() throws Exception {
        TemplateDescriptor t = TestTemplates.withSource(tmp, "", "a\n<#include \"inc/part.ftl\">\n");
        Files.createDirectories(t.root().resolve("inc"));
        Files.writeString(t.root().resolve("inc/part.ftl"), "x\n\ty = ${undefinedThing};\n");
        RenderException e = assertThrows(RenderException.class, () -> render(t, Map.of()));
        assertEquals(t.root().resolve("inc/part.ftl"), e.templateFile());
        assertEquals(2, e.line());
        assertEquals(8, e.column());

        Files.writeString(t.root().resolve("inc/part.ftl"), "x\n<#list>\n");
        e = assertThrows(RenderException.class, () -> render(t, Map.of()));
        assertEquals(t.root().resolve("inc/part.ftl"), e.templateFile());
        assertEquals(2, e.line());
    }

    @Test
    void sandboxRefusesClassInstantiation() {
        RenderException e = renderError("${\"freemarker.template.utility.Execute\"?new()(\"id\")}\n");
        assertTrue(e.getMessage().contains("?new is not allowed"), e.getMessage());
        e = renderError("<#assign o = \"freemarker.template.utility.ObjectConstructor\"?new()>\n");
        assertTrue(e.getMessage().contains("?new is not allowed"), e.getMessage());
    }

    @Test
    void sandboxRefusesApi() {
        RenderException e = renderError("${kiln.constants?api.size()}\n");
        assertTrue(e.getMessage().contains("?api is not allowed"), e.getMessage());
    }

    @Test
    void sandboxRefusesSettings() {
        RenderException e = renderError("x\n  <#setting classic_compatible=true>${nope}\n");
        assertEquals(2, e.line());
        assertEquals(3, e.column());
        assertTrue(e.getMessage().contains("the #setting directive is not allowed"), e.getMessage());
        renderError("<#setting number_format=\",##0\">${1000}\n");
    }

    @Test
    void sandboxRefusesIncludesOutsideTheRoots() throws Exception {
        Files.writeString(tmp.resolve("outside.ftl"), "secret\n");
        for (String include : List.of("../../etc/passwd", "/etc/passwd", "../outside.ftl", "/../outside.ftl",
                tmp.resolve("outside.ftl").toString())) {
            RenderException e = renderError("<#include \"" + include + "\">\n");
            assertTrue(e.getMessage().contains("include/import of '" + include + "': refused, no such template;"
                    + " templates load only from the template's folder")
                    || e.getMessage().contains("Backing out from the root directory is not allowed"), e.getMessage());
            assertEquals(1, e.line());
        }
        TemplateDescriptor t = TestTemplates.withSource(tmp, "", "<#include \"link.ftl\">\n");
        Files.createSymbolicLink(t.root().resolve("link.ftl"), tmp.resolve("outside.ftl"));
        RenderException e = assertThrows(RenderException.class, () -> render(t, Map.of()));
        assertTrue(e.getMessage().contains("resolves to a file outside the template root"), e.getMessage());
    }

    @Test
    void includeFoldersAreRootsToo() throws Exception {
        Path lib = Files.createDirectories(tmp.resolve("lib"));
        Files.writeString(lib.resolve("shared.ftl"), "shared ${n}\n");
        Path folder = TestTemplates.write(tmp, "t", "name: t\nincludes: [../lib]\nprograms:\n  p: { hook: xdp }\n"
                + "build:\n  n: { type: int, default: 7 }\n", "a\n<#include \"shared.ftl\">\nb\n");
        RenderedSource s = render(Templates.load(folder), Map.of());
        assertEquals("a\nshared 7\nb", body(s));
        assertTrue(s.text().contains("#line 1 \"../lib/shared.ftl\""), s.text());
    }

    @Test
    void modelHoldsNoJavaObjects() {
        RenderException e = renderError("${kiln.template.class}\n");
        assertTrue(e.getMessage().contains("Expected a hash"), e.getMessage());
        e = renderError("${kiln.constants.getClass()}\n");
        assertTrue(e.getMessage().contains("Expected a hash, but this has evaluated to a sequence"), e.getMessage());
    }

    @Test
    void reservedCharactersAreRefused() {
        RenderException e = renderError("int a;\nint \uE000b;\n");
        assertEquals(2, e.line());
        assertEquals(5, e.column());
        assertTrue(e.getMessage().contains("contains the character U+E000"), e.getMessage());
    }

    @Test
    void templateEditsAreSeenByTheNextRender() throws Exception {
        TemplateDescriptor t = TestTemplates.withSource(tmp, "", "one\n");
        assertEquals("one", body(render(t, Map.of())));
        Files.writeString(t.templateFile(), "two\n");
        Files.setLastModifiedTime(t.templateFile(), java.nio.file.attribute.FileTime.fromMillis(
                Files.getLastModifiedTime(t.templateFile()).toMillis() + 2000));
        assertEquals("two", body(render(t, Map.of())));
    }

    @Test
    void parametersAreCheckedAgain() {
        TemplateDescriptor t = Templates.load(TestTemplates.resource("endpoint"));
        ParameterException e = assertThrows(ParameterException.class,
                () -> renderer.render(t, BuildParameters.of(Map.of("prefix", "x; system(\"rm\")"))));
        assertTrue(e.getMessage().startsWith("template endpoint: build parameter prefix: expected a C identifier"), e.getMessage());
    }

    private RenderException boundedError(RenderLimits limits, String source) {
        TemplateDescriptor t = TestTemplates.withSource(tmp, "", source);
        Renderer r = new Renderer(limits);
        return assertThrows(RenderException.class, () -> r.render(t, Parameters.resolve(t, Map.of())));
    }

    @Test
    void outputPastTheCapIsALocatedErrorNotAnOutOfMemoryError() {
        long start = System.nanoTime();
        RenderException e = boundedError(RenderLimits.DEFAULT, "// head\n<#list 1..99999999 as i>xxxxxxxx</#list>\n");
        assertTrue(System.nanoTime() - start < 5_000_000_000L, "took too long");
        assertEquals(2, e.line(), e.getMessage());
        assertTrue(e.getMessage().startsWith(tmp.resolve("t/t.bpf.c.ftl") + ":2:"), e.getMessage());
        assertTrue(e.reason().contains("exceeds " + (16 << 20) + " characters"), e.getMessage());
    }

    @Test
    void loopWithoutOutputEndsAtTheDeadline() {
        RenderLimits limits = new RenderLimits(1 << 20, java.time.Duration.ofMillis(300), 4 << 20);
        long start = System.nanoTime();
        RenderException e = boundedError(limits,
                "// head\n<#list 1..99999999 as i>\n<#list 1..99999999 as j></#list></#list>\n");
        assertTrue(System.nanoTime() - start < 3_000_000_000L, "took too long");
        assertTrue(e.reason().contains("longer than 300 ms"), e.getMessage());
        assertTrue(e.line() == 2 || e.line() == 3, e.getMessage());
        // the interrupted render thread really stops; it does not spin on in the background
        long until = System.nanoTime() + 3_000_000_000L;
        while (Thread.getAllStackTraces().keySet().stream().anyMatch(th -> th.getName().equals("kiln-render"))) {
            assertTrue(System.nanoTime() < until, "the render thread is still running");
            Thread.onSpinWait();
        }
    }

    @Test
    void recursiveMacroIsALocatedErrorNotAStackOverflowError() {
        RenderException e = boundedError(RenderLimits.DEFAULT, "// head\n<#macro m n>\n<@m n+1/>\n</#macro>\n<@m 0/>\n");
        assertTrue(e.reason().contains("nest too deeply"), e.getMessage());
        assertEquals(3, e.line(), e.getMessage());
        assertTrue(e.getMessage().startsWith(tmp.resolve("t/t.bpf.c.ftl") + ":3:"), e.getMessage());
    }

    @Test
    void aRendererStillWorksAfterARunawayRender() {
        RenderLimits limits = new RenderLimits(1 << 20, java.time.Duration.ofMillis(200), 4 << 20);
        boundedError(limits, "<#list 1..99999999 as i><#list 1..99999999 as j></#list></#list>\n");
        TemplateDescriptor t = TestTemplates.withSource(tmp.resolve("ok"), "", "int x = ${1 + 1};\n");
        assertEquals("int x = 2;", body(new Renderer(limits).render(t, Parameters.resolve(t, Map.of()))));
    }

    @Test
    void interpretEvalNowNewAndApiAreRefusedWithTheirPlace() {
        String[][] cases = {
            {"x\n<#assign s = r'<#setting number_format=\",##0\">'>\n  <@s?interpret/>${16000}\n", "3:6", "?interpret"},
            {"x\n${ \"1+1\"?eval }\n", "2:9", "?eval"},
            {"x\n${'{}' ?eval_json?size}\n", "2:8", "?eval_json"},
            {"x\n// ${.now}\n", "2:6", ".now"},
            {"x\n<#if .now?has_content>y</#if>\n", "2:6", ".now"},
            {"x\n${'java.io.File'?new('/')}\n", "2:17", "?new"},
            {"x\n${m?api}\n", "2:4", "?api"},
        };
        for (int i = 0; i < cases.length; i++) {
            String[] c = cases[i];
            TemplateDescriptor t = TestTemplates.withSource(tmp.resolve("case" + i), "", c[0]);
            RenderException e = assertThrows(RenderException.class, () -> render(t, Map.of()), c[0]);
            assertTrue(e.getMessage().startsWith(t.templateFile() + ":" + c[1] + ":"), e.getMessage());
            assertTrue(e.reason().startsWith(c[2] + " is not allowed"), e.getMessage());
        }
    }

    @Test
    void wordsLikeNowAndEvalOutsideFtlExpressionsAreFine() {
        TemplateDescriptor t = TestTemplates.withSource(tmp, "", "int eval = c ? eval : now.now; // ?interpret .now\n"
                + "${'?eval .now'} <#assign h = {'now': 1}>${h.now} ${(h).now}\n");
        assertEquals("int eval = c ? eval : now.now; // ?interpret .now\n?eval .now 1 1", body(render(t, Map.of())));
    }
}
