package io.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI end to end, in process: real template engine, real clang. */
class CliTest {
    private static final Path HELLO = Path.of(System.getProperty("kiln.home", "..")).resolve("examples/templates/hello")
            .toAbsolutePath().normalize();

    record Run(int exit, String out, String err) {
        String lastLine() {
            List<String> lines = out.lines().toList();
            return lines.get(lines.size() - 1);
        }
    }

    static Run kiln(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void compileTwiceIsMissThenHitWithNoClangRun(@TempDir Path cache) throws Exception {
        ObjectMapper json = new ObjectMapper();
        Run first = kiln("compile", HELLO.toString(), "--set", "dropEnabled=false", "--cache-dir", cache.toString(),
                "--json");
        assertEquals(0, first.exit(), first.err());
        JsonNode a = json.readTree(first.lastLine());
        assertEquals("miss", a.get("cache").asText());
        assertEquals(1, a.get("clangRuns").asInt());
        assertTrue(Files.isRegularFile(Path.of(a.get("object").asText())));
        assertTrue(Path.of(a.get("object").asText()).startsWith(cache.resolve("objects")), "--cache-dir DIR: DIR/objects/");

        Run second = kiln("compile", HELLO.toString(), "--set", "dropEnabled=false", "--cache-dir", cache.toString(),
                "--json");
        assertEquals(0, second.exit(), second.err());
        JsonNode b = json.readTree(second.lastLine());
        assertEquals("disk", b.get("cache").asText());
        assertEquals(0, b.get("clangRuns").asInt());
        assertEquals(a.get("variantKey").asText(), b.get("variantKey").asText());
        assertTrue(b.get("millis").asLong() >= 0);
    }

    @Test
    void badParameterIsExitTwoAndOneLineWithoutStackTrace(@TempDir Path cache) {
        Run run = kiln("compile", HELLO.toString(), "--set", "dropEnabled=maybe", "--cache-dir", cache.toString());
        assertEquals(2, run.exit());
        assertEquals(1, run.err().lines().count(), run.err());
        assertTrue(run.err().contains("dropEnabled") && run.err().contains("maybe"), run.err());
        assertFalse(run.err().contains("\tat "), run.err());
    }

    @Test
    void missingTemplateIsExitTwo(@TempDir Path dir) {
        Run run = kiln("compile", dir.resolve("nope").toString());
        assertEquals(2, run.exit());
        assertTrue(run.err().contains("nope"), run.err());
        assertFalse(run.err().contains("\tat "), run.err());
    }

    @Test
    void cErrorNamesTheTemplateLineAndExitsOne(@TempDir Path dir) throws Exception {
        Path t = dir.resolve("broken");
        Files.createDirectories(t);
        Files.writeString(t.resolve("broken.template.yaml"), "name: broken\nprograms:\n  prog: { hook: tc-ingress }\n");
        Files.writeString(t.resolve("broken.bpf.c.ftl"), """
                #include <linux/bpf.h>
                #include <bpf/bpf_helpers.h>

                SEC("tc")
                int prog(struct __sk_buff *skb)
                {
                    return undeclared_thing;
                }
                char LICENSE[] SEC("license") = "GPL";
                """);
        Run run = kiln("compile", t.toString(), "--cache-dir", dir.resolve("cache").toString());
        assertEquals(1, run.exit(), run.err());
        assertTrue(run.err().contains("broken.bpf.c.ftl:7:"), run.err());
        assertTrue(run.err().contains("undeclared_thing"), run.err());
    }

    @Test
    void aDeclaredMapMissingFromTheVariantIsExitTwoNamingTheVariantAndTheMap(@TempDir Path dir) throws Exception {
        Path t = dir.resolve("guard");
        Files.createDirectories(t);
        Files.writeString(t.resolve("guard.template.yaml"), """
                name: guard
                programs:
                  prog: { hook: tc-ingress }
                build:
                  ipv6: { type: bool, default: false }
                maps:
                  counts6: { scope: endpoint }
                """);
        Files.writeString(t.resolve("guard.bpf.c.ftl"), """
                #include <linux/bpf.h>
                #include <bpf/bpf_helpers.h>
                <#if ipv6>
                struct {
                    __uint(type, BPF_MAP_TYPE_HASH);
                    __uint(max_entries, 8);
                    __type(key, __u32);
                    __type(value, __u64);
                } counts6 SEC(".maps");
                </#if>
                SEC("tc")
                int prog(struct __sk_buff *skb) { return 0; }
                char LICENSE[] SEC("license") = "GPL";
                """);
        Run ok = kiln("compile", t.toString(), "--set", "ipv6=true", "--cache-dir", dir.resolve("cache").toString());
        assertEquals(0, ok.exit(), ok.err());
        Run run = kiln("compile", t.toString(), "--cache-dir", dir.resolve("cache").toString());
        assertEquals(2, run.exit(), run.err());
        assertTrue(run.err().contains("template guard: variant guard(ipv6=false): the object does not match"), run.err());
        assertTrue(run.err().contains("line 7: map counts6 (scope endpoint) is declared but the object has no such map"),
                run.err());
        assertFalse(run.err().contains("\tat "), run.err());
    }

    @Test
    void inspectListsProgramsMapsAndConstants(@TempDir Path cache) throws Exception {
        Path object = cache.resolve("hello.o");
        Run compile = kiln("compile", HELLO.toString(), "--cache-dir", cache.toString(), "--out", object.toString());
        assertEquals(0, compile.exit(), compile.err());
        Run inspect = kiln("inspect", object.toString());
        assertEquals(0, inspect.exit(), inspect.err());
        assertTrue(inspect.out().contains("hello_ingress"), inspect.out());
        assertTrue(inspect.out().contains("counters"), inspect.out());
        assertTrue(inspect.out().contains("BLOCKED_IPV4") && inspect.out().contains("__be32"), inspect.out());
    }

    @Test
    void renderPrintsLineDirectives() {
        Run run = kiln("render", HELLO.toString());
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("#line"), run.out());
        assertTrue(run.out().contains("hello.bpf.c.ftl"), run.out());
    }

    @Test
    void inspectOfGarbageIsExitTwo(@TempDir Path dir) throws Exception {
        Path junk = dir.resolve("junk.o");
        Files.writeString(junk, "not an object");
        Run run = kiln("inspect", junk.toString());
        assertEquals(2, run.exit());
        assertTrue(run.err().contains("junk.o"), run.err());
    }

    private static Path template(Path dir, String source) throws Exception {
        Path t = Files.createDirectories(dir.resolve("runaway"));
        Files.writeString(t.resolve("runaway.template.yaml"), "name: runaway\nprograms:\n  prog: { hook: tc-ingress }\n");
        Files.writeString(t.resolve("runaway.bpf.c.ftl"), source);
        return t;
    }

    private static void assertLocatedWithoutTrace(Run run, String place) {
        assertEquals(2, run.exit(), run.err());
        String first = run.err().lines().findFirst().orElse("");
        assertTrue(first.startsWith("kiln: ") && first.contains(place), run.err());
        assertFalse(run.err().contains("\tat ") || run.err().contains("Exception") || run.err().contains("Error"),
                run.err());
    }

    @Test
    void hugeOutputIsExitTwoAtTheTemplateLine(@TempDir Path dir) throws Exception {
        Path t = template(dir, "// runaway\n<#list 1..99999999 as i>xxxxxxxx</#list>\n");
        Run run = kiln("render", t.toString(), "-o", dir.resolve("out.c").toString());
        assertLocatedWithoutTrace(run, "runaway.bpf.c.ftl:2:");
        assertTrue(run.err().contains("characters"), run.err());
    }

    @Test
    void recursiveMacroIsExitTwoAtTheTemplateLine(@TempDir Path dir) throws Exception {
        Path t = template(dir, "// runaway\n<#macro m n>\n<@m n+1/>\n</#macro>\n<@m 0/>\n");
        Run run = kiln("compile", t.toString(), "--cache-dir", dir.resolve("cache").toString());
        assertLocatedWithoutTrace(run, "runaway.bpf.c.ftl:3:");
    }

    @picocli.CommandLine.Command(name = "overflow")
    static final class Overflowing implements java.util.concurrent.Callable<Integer> {
        @Override
        public Integer call() {
            throw new StackOverflowError();
        }
    }

    @Test
    void anErrorIsOneLineAndExitTwo() {
        StringWriter err = new StringWriter();
        int exit = Main.run(new Overflowing(), new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        assertEquals(2, exit);
        assertEquals(1, err.toString().lines().count(), err.toString());
        assertFalse(err.toString().contains("\tat "), err.toString());
    }
}
