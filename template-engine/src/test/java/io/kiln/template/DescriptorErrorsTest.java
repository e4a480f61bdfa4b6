package io.kiln.template;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Each bad descriptor marks the place its error must point at with {@code §}; the test removes
 * the mark, loads the descriptor and checks file, line, column, field and message.
 */
class DescriptorErrorsTest {
    private static final String PROGRAMS = "programs:\n  prog: { hook: tc-ingress }\n";

    @TempDir
    Path tmp;

    static Stream<Arguments> badDescriptors() {
        return Stream.of(
                arguments("unknown top-level key", "name: t\n§program:\n  p: { hook: xdp }\n", "program",
                        "unknown field 'program' in a template descriptor; allowed: name, includes, programs, build, constants, maps, compile, reasons, reasonCounters"),
                arguments("name of the wrong type", "name: §[t]\n" + PROGRAMS, "name", "expected a string, got a list"),
                arguments("missing programs", "§name: t\n", "programs", "missing required field 'programs'"),
                arguments("missing name", "§" + PROGRAMS, "name", "missing required field 'name'"),
                arguments("int default out of range", "name: t\n" + PROGRAMS + "build:\n"
                                + "  ctSize: { type: int, min: 1024, max: 1048576, default: §12 }\n",
                        "build.ctSize.default", "expected an integer between 1024 and 1048576, got 12"),
                arguments("int default not an integer", "name: t\n" + PROGRAMS + "build:\n"
                                + "  n: { type: int, min: 1, default: §lots }\n",
                        "build.n.default", "expected an integer >= 1, got 'lots'"),
                arguments("int default a decimal", "name: t\n" + PROGRAMS + "build:\n"
                                + "  n: { type: int, default: §1.5 }\n",
                        "build.n.default", "expected an integer, got 1.5"),
                arguments("int min above max", "name: t\n" + PROGRAMS + "build:\n"
                                + "  n: { type: int, min: 10, max: §5, default: 7 }\n",
                        "build.n.max", "max 5 is less than min 10"),
                arguments("enum default not a value", "name: t\n" + PROGRAMS + "build:\n"
                                + "  mode: { type: enum, values: [enforce, audit], default: §off }\n",
                        "build.mode.default", "default 'off' is not one of the values: enforce, audit"),
                arguments("enum default a number", "name: t\n" + PROGRAMS + "build:\n"
                                + "  mode: { type: enum, values: [a, b], default: §1 }\n",
                        "build.mode.default", "expected a string, got 1"),
                arguments("enum duplicate value", "name: t\n" + PROGRAMS + "build:\n"
                                + "  mode: { type: enum, values: [a, b, §a], default: a }\n",
                        "build.mode.values[2]", "duplicate value 'a'"),
                arguments("enum value not an identifier", "name: t\n" + PROGRAMS + "build:\n"
                                + "  mode: { type: enum, values: [a, §b-c], default: a }\n",
                        "build.mode.values[1]", "'b-c' is not a C identifier"),
                arguments("enum without values", "name: t\n" + PROGRAMS + "build:\n"
                                + "  mode: { type: enum, values: §[], default: a }\n",
                        "build.mode.values", "an enum needs at least one value"),
                arguments("bool default yes", "name: t\n" + PROGRAMS + "build:\n"
                                + "  ipv6: { type: bool, default: §yes }\n",
                        "build.ipv6.default", "expected true or false, got 'yes'"),
                arguments("bool default missing", "name: t\n" + PROGRAMS + "build:\n"
                                + "  ipv6: §{ type: bool }\n",
                        "build.ipv6.default", "missing required field 'default'"),
                arguments("identifier default not an identifier", "name: t\n" + PROGRAMS + "build:\n"
                                + "  prefix: { type: identifier, default: §\"x; system()\" }\n",
                        "build.prefix.default", "'x; system()' is not a C identifier"),
                arguments("key not allowed for the type", "name: t\n" + PROGRAMS + "build:\n"
                                + "  ipv6: { type: bool, §min: 1, default: false }\n",
                        "build.ipv6.min", "unknown field 'min' in a bool parameter; allowed: type, default, description"),
                arguments("bad build type", "name: t\n" + PROGRAMS + "build:\n"
                                + "  x: { type: §float, default: 1 }\n",
                        "build.x.type", "unknown type 'float'; allowed types: bool, int, enum, identifier"),
                arguments("build name reserved by FreeMarker", "name: t\n" + PROGRAMS + "build:\n"
                                + "  §in: { type: bool, default: true }\n",
                        "build.in", "'in' is reserved in FreeMarker expressions"),
                arguments("build name reserved for the model", "name: t\n" + PROGRAMS + "build:\n"
                                + "  §kiln: { type: bool, default: true }\n",
                        "build.kiln", "'kiln' is reserved for the template model"),
                arguments("reason name not upper case", "name: t\n" + PROGRAMS + "reasons:\n  §denied: { code: 8 }\n",
                        "reasons.denied", "'denied' is not an upper-case C identifier (A-Z, 0-9 and _, starting with a letter)"),
                arguments("reason name not a C identifier", "name: t\n" + PROGRAMS + "reasons:\n  §NO-ROUTE: { code: 8 }\n",
                        "reasons.NO-ROUTE", "'NO-ROUTE' is not an upper-case C identifier"),
                arguments("reason name twice", "name: t\n" + PROGRAMS + "reasons:\n  DENIED: { code: 8 }\n  §DENIED: { code: 9 }\n",
                        "reasons.DENIED", "duplicate key 'DENIED' (first at line 5)"),
                arguments("reason code twice", "name: t\n" + PROGRAMS + "reasons:\n  DENIED: { code: 8 }\n  SPOOFED: { code: §8 }\n",
                        "reasons.SPOOFED.code", "code 8 is already used by reason DENIED (line 5); each reason needs a code of its own"),
                arguments("reason code above the slots", "name: t\n" + PROGRAMS + "reasons:\n  DENIED: { code: §64 }\n",
                        "reasons.DENIED.code", "expected an integer from 0 to 63, got 64"),
                arguments("reason code negative", "name: t\n" + PROGRAMS + "reasons:\n  DENIED: { code: §-1 }\n",
                        "reasons.DENIED.code", "expected an integer from 0 to 63, got -1"),
                arguments("reason code not a number", "name: t\n" + PROGRAMS + "reasons:\n  DENIED: { code: §eight }\n",
                        "reasons.DENIED.code", "expected an integer from 0 to 63, got 'eight'"),
                arguments("reason without a code", "name: t\n" + PROGRAMS + "reasons:\n  DENIED: §{ description: x }\n",
                        "reasons.DENIED.code", "missing required field 'code'"),
                arguments("reason with an unknown verdict", "name: t\n" + PROGRAMS + "reasons:\n  DENIED: { code: 8, verdict: §allow }\n",
                        "reasons.DENIED.verdict", "unknown verdict 'allow'; allowed: drop, pass"),
                arguments("reason with an unknown field", "name: t\n" + PROGRAMS + "reasons:\n  DENIED: { code: 8, §drop: true }\n",
                        "reasons.DENIED.drop", "unknown field 'drop' in a reason; allowed: code, verdict, description"),
                arguments("reason counters name no declared map", "name: t\n" + PROGRAMS
                                + "maps:\n  stats: { scope: endpoint }\nreasons:\n  DENIED: { code: 8 }\nreasonCounters: §counters\n",
                        "reasonCounters", "no map 'counters' in maps; name the declared map that counts packets per reason (declared: stats)"),
                arguments("reason counters without reasons", "name: t\n" + PROGRAMS
                                + "maps:\n  stats: { scope: endpoint }\nreasonCounters: §stats\n",
                        "reasonCounters", "map 'stats' counts reasons, but the descriptor declares none; add a reasons section"),
                arguments("duplicate YAML key", "name: t\n" + PROGRAMS + "build:\n"
                                + "  ipv6: { type: bool, default: false }\n  §ipv6: { type: bool, default: true }\n",
                        "build.ipv6", "duplicate key 'ipv6' (first at line 5)"),
                arguments("duplicate key inside a flow mapping", "name: t\n"
                                + "programs:\n  p: { hook: xdp, §hook: tc-egress }\n",
                        "programs.p.hook", "duplicate key 'hook' (first at line 3)"),
                arguments("same name as build parameter and constant", "name: t\n" + PROGRAMS + "build:\n"
                                + "  ipv6: { type: bool, default: false }\nconstants:\n  §ipv6: { type: u8 }\n",
                        "constants.ipv6", "name 'ipv6' is already used by build.ipv6 (line 5)"),
                arguments("same name as program and map", "name: t\n" + PROGRAMS + "maps:\n  §prog: { scope: node }\n",
                        "maps.prog", "name 'prog' is already used by programs.prog (line 3)"),
                arguments("program name not an identifier", "name: t\nprograms:\n  §9lives: { hook: xdp }\n",
                        "programs.9lives", "'9lives' is not a C identifier"),
                arguments("constant name a C keyword", "name: t\n" + PROGRAMS + "constants:\n  §int: { type: u32 }\n",
                        "constants.int", "'int' is a C keyword"),
                arguments("template name not an identifier", "name: §my-template\n" + PROGRAMS, "name",
                        "'my-template' is not a C identifier"),
                arguments("template name not the file's", "name: §other\n" + PROGRAMS, "name",
                        "'other' does not match the file name t.template.yaml"),
                arguments("bad hook", "name: t\nprograms:\n  p: { hook: §tc }\n", "programs.p.hook",
                        "unknown hook 'tc'; allowed: tc-ingress, tc-egress, xdp"),
                arguments("missing hook", "name: t\nprograms:\n  p: §{ }\n", "programs.p.hook",
                        "missing required field 'hook'"),
                arguments("no programs", "name: t\n§programs: {}\n", "programs", "a template needs at least one program"),
                arguments("bad scope", "name: t\n" + PROGRAMS + "maps:\n  m: { scope: §global }\n", "maps.m.scope",
                        "unknown scope 'global'; allowed: endpoint, node"),
                arguments("pin not a boolean", "name: t\n" + PROGRAMS + "maps:\n  m: { scope: node, pin: §yes }\n",
                        "maps.m.pin", "expected true or false, got 'yes'"),
                arguments("unknown map key", "name: t\n" + PROGRAMS + "maps:\n  m: { scope: node, §size: 4 }\n",
                        "maps.m.size", "unknown field 'size' in a map; allowed: scope, pin"),
                arguments("bad constant type", "name: t\n" + PROGRAMS + "constants:\n  C: { type: §u128 }\n",
                        "constants.C.type", "unknown type 'u128'; allowed: u8, u16, u32, u64, bool, ipv4, ipv6, mac"),
                arguments("constant as a plain value", "name: t\n" + PROGRAMS + "constants:\n  C: §u32\n",
                        "constants.C", "expected a mapping, got 'u32'"),
                arguments("include folder missing", "name: t\nincludes: [§nowhere]\n" + PROGRAMS, "includes[0]",
                        "folder 'nowhere' not found"),
                arguments("includes not a list", "name: t\nincludes: §include\n" + PROGRAMS, "includes",
                        "expected a list, got 'include'"),
                arguments("malformed flow list", "name: t\nincludes: [a, b\nprograms§:\n  p: { hook: xdp }\n", "",
                        "malformed YAML: expected ',' or ']', but got : (while parsing a flow sequence)"),
                arguments("tab indentation", "name: t\nprograms:\n§\tp: { hook: xdp }\n", "",
                        "malformed YAML: found character '\\t(TAB)' that cannot start any token"),
                arguments("alias", "name: t\n" + PROGRAMS + "build:\n  a: &x { type: bool, default: true }\n  b: §*x\n",
                        "build.b", "YAML aliases (*x) are not supported"),
                arguments("second document", "name: t\n" + PROGRAMS + "---\n§name: u\n", "",
                        "a descriptor holds one YAML document, found a second one"),
                arguments("top level a list", "§- name: t\n", "", "expected a mapping, got a list"),
                arguments("unknown cpu", "name: t\n" + PROGRAMS + "compile:\n  cpu: §v9\n", "compile.cpu",
                        "unknown BPF CPU version 'v9'; allowed: v1, v2, v3, v4"),
                arguments("probe cpu", "name: t\n" + PROGRAMS + "compile:\n  cpu: §probe\n", "compile.cpu",
                        "unknown BPF CPU version 'probe'; allowed: v1, v2, v3, v4 (probe would make the object depend"
                                + " on the kernel of the machine that compiles it, which the variant key does not capture)"),
                arguments("unknown compile field", "name: t\n" + PROGRAMS + "compile:\n  §target: bpfeb\n",
                        "compile.target", "unknown field 'target' in the compile section; allowed: cpu, flags"),
                arguments("flags not a list", "name: t\n" + PROGRAMS + "compile:\n  flags: §-DX\n", "compile.flags",
                        "expected a list, got '-DX'"),
                arguments("plugin flag", "name: t\n" + PROGRAMS + "compile:\n  flags: [-DX=1, §-fplugin=/tmp/p.so]\n",
                        "compile.flags[1]", "flag '-fplugin=/tmp/p.so' is not allowed: not one of the allowed -f"),
                arguments("include flag", "name: t\n" + PROGRAMS + "compile:\n  flags: [§-I/etc]\n",
                        "compile.flags[0]", "flag '-I/etc' is not allowed: include folders go under includes:"),
                arguments("output flag", "name: t\n" + PROGRAMS + "compile:\n  flags: [§-o, x.o]\n",
                        "compile.flags[0]", "flag '-o' is not allowed: not an allowed flag"),
                arguments("response file", "name: t\n" + PROGRAMS + "compile:\n  flags: [§'@args']\n",
                        "compile.flags[0]", "flag '@args' is not allowed"),
                arguments("language flag", "name: t\n" + PROGRAMS + "compile:\n  flags: [§-xc++]\n",
                        "compile.flags[0]", "flag '-xc++' is not allowed"),
                arguments("linker pass-through", "name: t\n" + PROGRAMS + "compile:\n  flags: [§'-Wl,-T,/etc/x']\n",
                        "compile.flags[0]", "flag '-Wl,-T,/etc/x' is not allowed: expected a warning switch"),
                arguments("preprocessor pass-through", "name: t\n" + PROGRAMS
                                + "compile:\n  flags: [§'-Wp,-MD,/tmp/x']\n",
                        "compile.flags[0]", "flag '-Wp,-MD,/tmp/x' is not allowed"),
                arguments("define with a space", "name: t\n" + PROGRAMS + "compile:\n  flags: [§'-DX=a b']\n",
                        "compile.flags[0]", "flag '-DX=a b' is not allowed: expected -DNAME or -DNAME=VALUE"),
                arguments("mcpu as a flag", "name: t\n" + PROGRAMS + "compile:\n  flags: [§-mcpu=v3]\n",
                        "compile.flags[0]", "flag '-mcpu=v3' is not allowed: set the BPF CPU version with compile.cpu"),
                arguments("optimization level", "name: t\n" + PROGRAMS + "compile:\n  flags: [§-O0]\n",
                        "compile.flags[0]", "flag '-O0' is not allowed: Kiln always compiles with -O2 -g"),
                arguments("time trace writes a file", "name: t\n" + PROGRAMS + "compile:\n  flags: [§-ftime-trace]\n",
                        "compile.flags[0]", "flag '-ftime-trace' is not allowed: not one of the allowed -f"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badDescriptors")
    void badDescriptorNamesFileLineAndField(String title, String marked, String field, String reason) throws Exception {
        int mark = marked.indexOf('§');
        String yaml = marked.replace("§", "");
        int line = 1 + (int) marked.substring(0, mark).chars().filter(c -> c == '\n').count();
        int column = mark - marked.lastIndexOf('\n', mark - 1);
        Path folder = TestTemplates.write(tmp, "t", yaml, "int x;\n");
        Files.createDirectories(folder.resolve("include"));

        DescriptorException e = assertThrows(DescriptorException.class, () -> Templates.load(folder));

        Path file = folder.resolve("t.template.yaml");
        assertEquals(file, e.file());
        assertEquals(field, e.field(), e.getMessage());
        assertEquals(line, e.line(), e.getMessage());
        assertEquals(column, e.column(), e.getMessage());
        String prefix = file + ":" + line + ":" + column + ": " + (field.isEmpty() ? "" : field + ": ");
        assertTrue(e.getMessage().startsWith(prefix + reason), () -> "expected\n  " + prefix + reason
                + "...\ngot\n  " + e.getMessage());
        assertTrue(e.isUserError());
    }

    @Test
    void emptyDescriptor() {
        Path folder = TestTemplates.write(tmp, "t", "# nothing yet\n", "x");
        DescriptorException e = assertThrows(DescriptorException.class, () -> Templates.load(folder));
        assertEquals(folder.resolve("t.template.yaml") + ": the descriptor is empty; it needs at least name and programs",
                e.getMessage());
    }

    @Test
    void notUtf8() throws Exception {
        Path folder = TestTemplates.write(tmp, "t", "", "x");
        Files.write(folder.resolve("t.template.yaml"), new byte[] {'n', 'a', 'm', 'e', ':', ' ', (byte) 0xff, '\n'});
        DescriptorException e = assertThrows(DescriptorException.class, () -> Templates.load(folder));
        assertEquals(folder.resolve("t.template.yaml") + ": not valid UTF-8", e.getMessage());
    }

    private DescriptorException includeError(Path tree, String include) {
        Path folder = TestTemplates.write(tree, "t", "name: t\nincludes: [" + include + "]\n" + PROGRAMS, "int x;\n");
        return assertThrows(DescriptorException.class, () -> Templates.load(folder), include);
    }

    @Test
    void includeFoldersStayInTheTemplatesTree() throws Exception {
        Path tree = Files.createDirectories(tmp.resolve("tree"));
        Files.createDirectories(tree.resolve("include"));
        Files.createDirectories(tmp.resolve("outside"));
        Path folder = TestTemplates.write(tree, "t", "name: t\nincludes: [../include]\n" + PROGRAMS, "int x;\n");
        assertEquals(tree.resolve("include").toRealPath(), Templates.load(folder).includeDirs().get(1).toRealPath());

        DescriptorException e = includeError(tree, "/etc");
        assertEquals("includes[0]", e.field());
        assertEquals(2, e.line());
        assertTrue(e.getMessage().contains("'/etc' is absolute"), e.getMessage());

        e = includeError(tree, "../../outside");
        assertEquals("includes[0]", e.field());
        assertTrue(e.getMessage().contains("outside the template's tree"), e.getMessage());

        Files.createSymbolicLink(tree.resolve("t/link"), tmp.resolve("outside"));
        e = includeError(tree, "link");
        assertEquals("includes[0]", e.field());
        assertTrue(e.getMessage().contains("resolves to " + tmp.resolve("outside").toRealPath()), e.getMessage());
    }
}
