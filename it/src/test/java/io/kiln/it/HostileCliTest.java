package io.kiln.it;

import io.kiln.cli.CliRuns;
import io.kiln.it.HostileCases.Case;
import io.kiln.it.HostileCases.Outcome;
import io.kiln.testing.KernelRequirements;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile input through the {@code kiln} command, as a user or a dependency's author would give it,
 * in this JVM through {@code Main}: descriptors, templates, {@code --set} values, spec files
 * ({@code kiln endpoint|policy|service apply} checks them before it talks to an agent), objects and
 * the object store. Each case gets its exit code and a one-line message naming the file and line or
 * the field, never a stack trace, and the object store the other cases use is byte for byte as it
 * was. The kernel's side (the agent, its API, its state) is {@link HostileAgentKernelTest}.
 * docs/hostile-inputs.md is the table of these cases and what each got.
 */
class HostileCliTest {
    static final String SUITE = "cli";
    private static final Path HELLO = Path.of(System.getProperty("kiln.home", "..")).toAbsolutePath().normalize()
            .resolve("examples/templates/hello");
    private static final String PROGRAM = """
            #include <linux/bpf.h>
            #include <bpf/bpf_helpers.h>
            %s
            SEC("tc") int prog(struct __sk_buff *skb) { return 0; }
            char _license[] SEC("license") = "GPL";
            """;

    @TempDir
    static Path tmp;
    /** A store holding hello's object: every case must leave it as it was. */
    private static Path store;
    private static Path noAgent;

    @BeforeAll
    static void storeWithOneObject() throws Exception {
        KernelRequirements.assumeTools("clang");
        store = tmp.resolve("store");
        CliRuns.Run r = CliRuns.kiln("compile", HELLO.toString(), "--cache-dir", store.toString());
        assertEquals(0, r.exit(), r.err());
        noAgent = Files.createDirectories(tmp.resolve("no-agent-state"));
    }

    @TestFactory
    Stream<DynamicTest> hostileInputGetsAnExitCodeAndALocatedMessageAndChangesNothing() throws Exception {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            Map<String, String> before = HostileCases.digests(store);
            HostileCases.check(SUITE, c);
            assertEquals(before, HostileCases.digests(store), c.name() + ": the object store changed");
        }));
    }

    @org.junit.jupiter.api.AfterAll
    static void table() throws IOException {
        HostileCases.writeTable(SUITE);
    }

    @Test
    void everyCaseIsInTheTable() throws Exception {
        HostileCases.assertDocumented(SUITE, cases());
    }

    private static List<Case> cases;

    static synchronized List<Case> cases() throws IOException {
        if (cases == null) {
            cases = List.copyOf(make());
        }
        return cases;
    }

    private static List<Case> make() throws IOException {
        List<Case> cases = new ArrayList<>();
        // ---- descriptors ----
        Path unknown = template("unknownfield", "colour: red\n", PROGRAM.formatted(""));
        cases.add(kiln("descriptor-unknown-field", "a descriptor field Kiln does not know (`colour: red`)", 2,
                "unknownfield.template.yaml:4", "colour", "compile", unknown.toString()));
        Path absolute = template("absinclude", "includes: [/etc]\n", PROGRAM.formatted(""));
        cases.add(kiln("descriptor-include-absolute", "`includes: [/etc]`", 2, "absinclude.template.yaml:4",
                "includes", "compile", absolute.toString()));
        Path climbs = template("dotdot", "includes: [../../..]\n", PROGRAM.formatted(""));
        cases.add(kiln("descriptor-include-dotdot", "`includes: [../../..]`", 2, "dotdot.template.yaml:4",
                "includes", "compile", climbs.toString()));
        Path linked = template("linkinclude", "includes: [inc]\n", PROGRAM.formatted(""));
        Files.createSymbolicLink(linked.resolve("inc"), Path.of("/etc"));
        cases.add(kiln("descriptor-include-symlink", "`includes: [inc]`, `inc` a symlink to /etc", 2,
                "linkinclude.template.yaml:4", "includes", "compile", linked.toString()));
        Path bomb = template("aliasbomb", "build:\n" + aliasBomb("  ") + "\n", PROGRAM.formatted(""));
        cases.add(kiln("descriptor-alias-bomb", "YAML \"billion laughs\": aliases of aliases, 10^9 nodes", 2,
                "aliasbomb.template.yaml", "alias", "compile", bomb.toString()));
        Path hugeDefault = template("hugedefault", "build:\n  slots: { type: int, default: " + "9".repeat(100_000)
                + " }\n", PROGRAM.formatted(""));
        cases.add(kiln("descriptor-huge-default", "an int parameter whose default has 100,000 digits", 2,
                "hugedefault.template.yaml:5", "slots", "compile", hugeDefault.toString()));

        // ---- templates ----
        cases.add(kiln("template-output-bomb", "`<#list 1..99999999 as i>xxxxxxxx</#list>`", 2,
                "outbomb.bpf.c.ftl:2:", "characters", "compile",
                ftl("outbomb", "// bomb\n<#list 1..99999999 as i>xxxxxxxx</#list>\n").toString()));
        cases.add(kiln("template-silent-loop", "nested `#list` loops with no output (10^16 turns)", 2,
                "silentloop.bpf.c.ftl:2:", "longer than 10000 ms", "compile",
                ftl("silentloop", "// spin\n<#list 1..99999999 as i><#list 1..99999999 as j></#list></#list>\n")
                        .toString()));
        cases.add(kiln("template-recursive-macro", "a macro that calls itself forever", 2, "recursion.bpf.c.ftl:3:",
                "deep", "compile", ftl("recursion", "// deep\n<#macro m n>\n<@m n+1/>\n</#macro>\n<@m 0/>\n")
                        .toString()));
        cases.add(kiln("template-interpret", "`?interpret` of a `#setting number_format` (prints `16,000` into C)",
                2, "interpret.bpf.c.ftl:2:", "?interpret", "compile", ftl("interpret",
                        "// x\n<@\"<#setting number_format='#,##0'>\"?interpret/>\nint x = ${16000};\n").toString()));
        cases.add(kiln("template-eval", "`\"1+1\"?eval`", 2, "evaluate.bpf.c.ftl:2:", "?eval", "compile",
                ftl("evaluate", "// x\nint x = ${\"1+1\"?eval};\n").toString()));
        cases.add(kiln("template-now", "`${.now}` (output that changes on every render)", 2, "now.bpf.c.ftl:2:",
                ".now", "compile", ftl("now", "// x\n// ${.now}\n").toString()));
        cases.add(kiln("template-new", "`\"freemarker.template.utility.Execute\"?new()`", 2, "execute.bpf.c.ftl:2:",
                "?new", "compile", ftl("execute",
                        "// x\n${\"freemarker.template.utility.Execute\"?new()(\"id\")}\n").toString()));
        cases.add(kiln("template-include-etc", "`<#include \"/etc/hostname\">`", 2, "ftlinclude.bpf.c.ftl:2:",
                "refused, no such template", "compile", ftl("ftlinclude", "// x\n<#include \"/etc/hostname\">\n").toString()));
        cases.add(kiln("template-include-dotdot", "`<#include \"../../../../etc/hostname\">`", 2,
                "ftlclimb.bpf.c.ftl:2:", "etc/hostname", "compile",
                ftl("ftlclimb", "// x\n<#include \"../../../../etc/hostname\">\n").toString()));
        cases.add(kiln("template-c-include-etc", "C `#include \"/etc/hostname\"` (read by clang as the agent's user)",
                2, "cinclude.bpf.c.ftl:3:", "absolute path", "compile",
                template("cinclude", "", PROGRAM.formatted("#include \"/etc/hostname\"")).toString()));
        cases.add(kiln("template-incbin", "`asm(\".incbin \\\"/etc/passwd\\\"\")` in the C", 2, "incbin",
                ".incbin", "compile", template("incbin", "", PROGRAM.formatted("asm(\".incbin \\\"/etc/passwd\\\"\");"))
                        .toString()));

        // ---- --set values ----
        cases.add(kiln("set-huge-integer", "`--set counterSlots=` 1,000,000 digits", 2, "counterSlots",
                "expected", "compile", HELLO.toString(), "--set", "counterSlots=" + "7".repeat(1_000_000)));
        cases.add(kiln("set-out-of-range", "`--set counterSlots=257` (max 256)", 2, "counterSlots", "256", "compile",
                HELLO.toString(), "--set", "counterSlots=257"));
        cases.add(kiln("set-wrong-type", "`--set dropEnabled=maybe` (a bool)", 2, "dropEnabled", "maybe", "compile",
                HELLO.toString(), "--set", "dropEnabled=maybe"));
        cases.add(kiln("set-unknown-parameter", "`--set colour=red`", 2, "colour", "counterSlots", "compile",
                HELLO.toString(), "--set", "colour=red"));
        cases.add(kiln("set-no-value", "`--set dropEnabled` (no `=`)", 2, "dropEnabled", "NAME=VALUE", "compile",
                HELLO.toString(), "--set", "dropEnabled"));
        cases.add(kiln("set-control-characters", "`--set dropEnabled=\"true\\u0000\\u001b[31m\"`", 2, "dropEnabled",
                "expected", "compile", HELLO.toString(), "--set", "dropEnabled=true\u0000\u001b[31m"));

        // ---- spec files, checked by the client before any agent sees them ----
        cases.add(apply("spec-unknown-field", "an endpoint spec with `colour: blue`", "endpoint", "field.yaml",
                endpoint("lxc3") + "colour: blue\n", "field.yaml:8", "unknown field 'colour'"));
        cases.add(apply("spec-interface-nul", "`interface: \"lo\\0x\"` (the kernel would read `lo`)", "endpoint",
                "nul.yaml", endpoint("\"lo\\0x\""), "nul.yaml:2", "interface"));
        cases.add(apply("spec-interface-control", "`interface: \"lxc\\e[2J\"` (a terminal escape)", "endpoint",
                "escape.yaml", endpoint("\"lxc\\e[2J\""), "escape.yaml:2", "interface"));
        cases.add(apply("spec-interface-too-long", "a 16-character interface name (the kernel's limit is 15)",
                "endpoint", "long.yaml", endpoint("abcdefghijklmnop"), "long.yaml:2", "interface"));
        cases.add(apply("spec-interface-slash", "`interface: ../eth0`", "endpoint", "slash.yaml",
                endpoint("../eth0"), "slash.yaml:2", "interface"));
        cases.add(apply("spec-huge-id", "`id:` 100,000 digits", "endpoint", "hugeid.yaml",
                endpoint("lxc3").replace("id: 3", "id: " + "9".repeat(100_000)), "hugeid.yaml:1", "id"));
        cases.add(apply("spec-wrong-type", "`labels: [a, b]` (a list where a map goes)", "endpoint", "type.yaml",
                endpoint("lxc3").replace("labels: { app: x }", "labels: [a, b]"), "type.yaml:7", "labels"));
        cases.add(apply("spec-alias-bomb", "an endpoint spec with a YAML \"billion laughs\"", "endpoint",
                "laughs.yaml", endpoint("lxc3") + "x:\n" + aliasBomb("  "), "laughs.yaml", "alias"));
        cases.add(apply("spec-deep-nesting", "an endpoint spec nested 100,000 lists deep", "endpoint", "deep.yaml",
                "id: " + "[".repeat(100_000) + "\n", "deep.yaml", "nested deeper than 64 levels"));
        cases.add(apply("spec-not-utf8", "bytes that are not UTF-8", "endpoint", "binary.yaml",
                "id: 3\ninterface: \u00ff\u00fe\n", "binary.yaml", "UTF-8"));
        cases.add(apply("policy-huge-port", "a policy port 70000", "policy", "port.yaml",
                "name: p\nendpointSelector: { matchLabels: { app: x } }\ningress:\n"
                        + "  - toPorts: [ { port: 70000, protocol: TCP } ]\n", "port.yaml:4", "port"));
        cases.add(apply("policy-unknown-protocol", "`protocol: GRE`", "policy", "proto.yaml",
                "name: p\nendpointSelector: { matchLabels: { app: x } }\ningress:\n"
                        + "  - toPorts: [ { port: 80, protocol: GRE } ]\n", "proto.yaml:4", "protocol"));
        cases.add(apply("service-bad-backend", "a backend address `198.18.0.300`", "service", "svc.yaml",
                "name: s\nvip: 198.18.0.200\nport: 80\nprotocol: TCP\nbackends:\n  - { address: 198.18.0.300, port: 80 }\n",
                "svc.yaml:6", "address"));
        Path zero = tmp.resolve("zero.yaml");
        if (!Files.exists(zero, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.createSymbolicLink(zero, Path.of("/dev/zero"));
        }
        cases.add(kiln("spec-symlink-dev-zero", "`kiln endpoint apply zero.yaml`, a symlink to /dev/zero", 2,
                "zero.yaml", "regular file", "endpoint", "apply", zero.toString(), "--state-dir", noAgent.toString()));
        Path big = tmp.resolve("big.yaml");
        Files.writeString(big, "id: 3\n# " + "x".repeat(2 << 20) + "\n");
        cases.add(kiln("spec-oversized", "a 2 MiB spec file", 2, "big.yaml", "larger than 1048576 bytes", "endpoint", "apply",
                big.toString(), "--state-dir", noAgent.toString()));

        // ---- objects and the object store ----
        Path junk = tmp.resolve("junk.o");
        Files.writeString(junk, "not an object");
        cases.add(kiln("object-not-elf", "`kiln inspect` of a text file", 2, "junk.o", "ELF", "inspect",
                junk.toString()));
        Path truncated = tmp.resolve("truncated.o");
        byte[] real = Files.readAllBytes(storedObject(store));
        Files.write(truncated, java.util.Arrays.copyOf(real, 200));
        cases.add(kiln("object-truncated", "`kiln inspect` of an object cut at 200 bytes", 2, "truncated.o", "",
                "inspect", truncated.toString()));
        Path corrupt = copyStore("corrupt-store");
        cases.add(new Case("object-corrupt-in-store", "a stored object with one byte changed (its .sha256 kept)", 0,
                "is corrupt (its SHA-256 does not match", "compiling it again", () -> {
                    Path object = storedObject(corrupt);
                    byte[] bytes = Files.readAllBytes(object);
                    bytes[bytes.length / 2] ^= 0x5a;
                    Files.write(object, bytes);
                    CliRuns.Run r = CliRuns.kiln("compile", HELLO.toString(), "--cache-dir", corrupt.toString());
                    assertEquals(HostileCases.digests(store), HostileCases.digests(corrupt),
                            "the corrupt object was replaced by a good one");
                    return new Outcome(r.exit(), r.err() + r.out());
                }));
        Path open = copyStore("open-store");
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        cases.add(kiln("store-writable-by-others", "an object store folder of mode 0777", 1, open.toString(),
                "rwxrwxrwx", "compile", HELLO.toString(), "--cache-dir", open.toString()));
        Path foreign = copyStore("foreign-store");
        Case owned = kiln("store-owned-by-another-user", "an object store folder owned by `nobody`", 1,
                foreign.toString(), "nobody", "compile", HELLO.toString(), "--cache-dir", foreign.toString());
        cases.add(new Case(owned.name(), owned.input(), owned.code(), owned.place(), owned.expected(), () -> {
            org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                    "giving a folder to another user needs root");
            Files.setOwner(foreign, foreign.getFileSystem().getUserPrincipalLookupService()
                    .lookupPrincipalByName("nobody"));
            return owned.attempt().run();
        }));
        Path openObject = copyStore("open-object");
        Files.setPosixFilePermissions(storedObject(openObject), PosixFilePermissions.fromString("rw-rw-rw-"));
        cases.add(kiln("store-object-writable-by-others", "a stored object of mode 0666", 1,
                storedObject(openObject).toString(), "rw-rw-rw-", "compile", HELLO.toString(), "--cache-dir",
                openObject.toString()));
        return cases;
    }

    private static Case kiln(String name, String input, int exit, String place, String expected, String... args) {
        return new Case(name, input, exit, place, expected, () -> {
            CliRuns.Run r = CliRuns.kiln(args);
            return new Outcome(r.exit(), r.err());
        });
    }

    /** {@code kiln KIND apply FILE} of {@code text}: refused before any agent is asked (there is none). */
    private static Case apply(String name, String input, String kind, String file, String text, String place,
                              String expected) throws IOException {
        Path f = Files.createDirectories(tmp.resolve("specs")).resolve(file);
        Files.write(f, text.getBytes(name.equals("spec-not-utf8") ? java.nio.charset.StandardCharsets.ISO_8859_1
                : java.nio.charset.StandardCharsets.UTF_8));
        return kiln(name, input, 2, place, expected, kind, "apply", f.toString(), "--state-dir", noAgent.toString());
    }

    private static String endpoint(String iface) {
        return "id: 3\n"
                + "interface: " + iface + "\n"
                + "template: endpoint\n"
                + "constants: { GATEWAY_IPV4: 198.18.0.1 }\n"
                + "addresses: { ipv4: 198.18.0.13 }\n"
                + "mac: \"02:00:00:00:01:03\"\n"
                + "labels: { app: x }\n";
    }

    /** Nine levels of nine aliases each: 9^9 nodes when expanded. */
    private static String aliasBomb(String indent) {
        StringBuilder b = new StringBuilder(indent + "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (int i = 1; i < 10; i++) {
            String p = "*a" + (i - 1);
            b.append(indent).append("a").append(i).append(": &a").append(i).append(" [")
                    .append(String.join(", ", java.util.Collections.nCopies(9, p))).append("]\n");
        }
        return b.toString();
    }

    /** A template NAME with a descriptor ({@code rest} after its programs) and {@code source}. */
    private static Path template(String name, String rest, String source) throws IOException {
        Path t = Files.createDirectories(tmp.resolve("templates").resolve(name));
        Files.writeString(t.resolve(name + ".template.yaml"), "name: " + name + "\nprograms:\n"
                + "  prog: { hook: tc-ingress }\n" + rest);
        Files.writeString(t.resolve(name + ".bpf.c.ftl"), source);
        return t;
    }

    private static Path ftl(String name, String source) throws IOException {
        return template(name, "", source);
    }

    private static Path copyStore(String name) throws IOException {
        Path to = tmp.resolve(name);
        try (Stream<Path> walk = Files.walk(store)) {
            for (Path p : walk.toList()) {
                Path q = to.resolve(store.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(q);
                    Files.setPosixFilePermissions(q, Files.getPosixFilePermissions(p));
                } else {
                    Files.copy(p, q, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        return to;
    }

    private static Path storedObject(Path store) throws IOException {
        try (Stream<Path> walk = Files.walk(store.resolve("objects"))) {
            List<Path> objects = walk.filter(p -> p.toString().endsWith(".o")).toList();
            assertTrue(objects.size() == 1, "one object in " + store + ": " + objects);
            return objects.get(0);
        }
    }
}
