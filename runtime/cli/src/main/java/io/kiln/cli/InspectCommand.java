package io.kiln.cli;

import io.kiln.object.MapInfo;
import io.kiln.object.ObjectInfo;
import io.kiln.object.ProgramInfo;
import io.kiln.object.VariableInfo;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show what a BPF object declares: programs, maps and .rodata constants with their types.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "OBJECT", description = "A BPF object file (.o).")
    Path object;

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        ObjectInfo info = ObjectInfo.read(object);
        PrintWriter o = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("object", object.toString());
            m.put("license", info.license().orElse("none"));
            m.put("programs", info.programs().stream().map(p -> Map.of(
                    "name", p.name(), "section", p.section(), "instructions", p.instructions())).toList());
            m.put("maps", info.maps().stream().map(mp -> {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("name", mp.name());
                e.put("type", mp.typeName());
                e.put("keySize", mp.keySize());
                e.put("valueSize", mp.valueSize());
                e.put("maxEntries", mp.maxEntries());
                e.put("flags", mp.flags());
                e.put("pinning", mp.pinning());
                return e;
            }).toList());
            m.put("constants", info.constants().stream().map(c -> Map.of(
                    "name", c.name(), "type", c.typeName(), "offset", c.offset(), "size", c.size())).toList());
            o.println(Json.line(m));
        } else {
            o.printf("%s (license %s)%n", object, info.license().orElse("none"));
            List<ProgramInfo> programs = info.programs();
            o.printf("programs (%d):%n", programs.size());
            for (ProgramInfo p : programs) {
                o.printf("  %-24s section %-16s %6d instructions%n", p.name(), p.section(), p.instructions());
            }
            List<MapInfo> maps = info.maps();
            o.printf("maps (%d):%n", maps.size());
            for (MapInfo mp : maps) {
                o.printf("  %-24s %-14s key %3d B  value %4d B  max %8d  flags 0x%x%s%n", mp.name(), mp.typeName(),
                        mp.keySize(), mp.valueSize(), mp.maxEntries(), mp.flags(),
                        mp.pinning() != 0 ? "  pinned by name" : "");
            }
            List<VariableInfo> constants = info.constants();
            o.printf("constants in .rodata (%d):%n", constants.size());
            for (VariableInfo c : constants) {
                o.printf("  %-24s %-28s offset %4d  %2d B%n", c.name(), c.typeName(), c.offset(), c.size());
            }
        }
        o.flush();
        return 0;
    }
}
