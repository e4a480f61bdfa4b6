package io.kiln.cli;

import io.kiln.KilnException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "plugin", mixinStandardHelpOptions = true,
        description = {"Time the Maven plugin with the Maven wrapper (offline), on generated projects in a temp folder:",
                "a cold build of N variants of the hello template (empty object cache: clang runs = N), then the",
                "no-change rebuild (mvn package) of the project with the plugin against the same project without it",
                "(and a third copy built with -Dkiln.skip, which leaves the cost of loading the plugin), alternating,",
                "median of --runs each. Needs the plugin in it/target/local-repo: run",
                "./mvnw -B -pl it -am verify first."})
final class BenchPluginCommand implements Callable<Integer> {
    private static final Pattern COMPILED = Pattern.compile("kiln: compiled \\S+ with clang");
    private static final Pattern UP_TO_DATE = Pattern.compile("kiln: (\\d+) variant\\(s\\) of \\d+ template\\(s\\): "
            + "0 compiled by clang, 0 from the object cache, (\\d+) up to date; 0 file\\(s\\) written");

    @Option(names = "--variants", defaultValue = "8", description = "Variants of hello to declare (default: ${DEFAULT-VALUE}).")
    int variants;

    @Option(names = "--runs", defaultValue = "5", description = "Timed no-change builds per project (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--json", description = "Print one JSON object on the last line.")
    boolean json;

    @Option(names = "--keep", description = "Keep the temp folder (projects and build logs).")
    boolean keep;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (runs < 1 || variants < 1 || variants > 254) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--runs must be at least 1 and --variants 1..254 (hello's counterSlots takes 3..256)");
        }
        Path home = KilnHome.dir();
        Path repo = home.resolve("it/target/local-repo");
        String version = pluginVersion(repo);
        Path scratch = Files.createTempDirectory("kiln-bench-plugin");
        PrintWriter o = spec.commandLine().getOut();
        try {
            Path hello = KilnHome.exampleTemplate("hello");
            Path with = PluginBenchProject.write(scratch, "with-kiln", version, variants, true, hello);
            Path without = PluginBenchProject.write(scratch, "without-kiln", version, variants, false, hello);
            // its own copy: switching one project between skipped and not adds and removes the generated
            // sources, and the compiler plugin then recompiles both ways
            Path skipped = PluginBenchProject.write(scratch, "skipped-kiln", version, variants, true, hello);
            Path settings = PluginBenchProject.settings(scratch, Path.of(System.getProperty("user.home"), ".m2", "repository"));
            Maven maven = new Maven(home.resolve("mvnw"), settings, repo, scratch.resolve("cache"), scratch.resolve("logs"));

            Maven.Run cold = maven.run(with, "cold");
            int clangRuns = count(COMPILED, cold.log());
            if (clangRuns != variants) {
                throw new KilnException("bench plugin: the cold build ran clang " + clangRuns + " times for " + variants
                        + " variants; see " + cold.logFile());
            }
            maven.run(without, "warm-up-without");
            maven.run(skipped, "warm-up-skipped", "-Dkiln.skip=true");
            double[] withMillis = new double[runs];
            double[] skippedMillis = new double[runs];
            double[] withoutMillis = new double[runs];
            for (int i = 0; i < runs; i++) {
                Maven.Run w = maven.run(with, "with-" + i);
                Matcher m = UP_TO_DATE.matcher(w.log());
                if (count(COMPILED, w.log()) != 0 || !m.find() || Integer.parseInt(m.group(2)) != variants) {
                    throw new KilnException("bench plugin: a no-change build did work; see " + w.logFile());
                }
                withMillis[i] = w.millis();
                skippedMillis[i] = maven.run(skipped, "skipped-" + i, "-Dkiln.skip=true").millis();
                withoutMillis[i] = maven.run(without, "without-" + i).millis();
            }
            double withMedian = Stats.median(withMillis);
            double withoutMedian = Stats.median(withoutMillis);
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("variants", variants);
            result.put("runs", runs);
            result.put("coldBuildMillis", Stats.round(cold.millis(), 0));
            result.put("coldClangRuns", clangRuns);
            result.put("noChangeWithPluginMillis", Stats.round(withMedian, 0));
            result.put("noChangeWithoutPluginMillis", Stats.round(withoutMedian, 0));
            result.put("pluginSkippedMillis", Stats.round(Stats.median(skippedMillis), 0));
            result.put("noChangeOverheadMillis", Stats.round(withMedian - withoutMedian, 0));
            result.put("noChangeRatio", Stats.round(withMedian / withoutMedian, 3));
            result.put("plugin", version);
            result.put("machine", Machine.describe());
            if (json) {
                o.println(Json.line(result));
            } else {
                result.forEach((k, v) -> o.printf("%-28s %s%n", k, v));
            }
            if (keep) {
                o.println("kept " + scratch);
            }
            o.flush();
            return 0;
        } finally {
            if (!keep) {
                BenchCompileCommand.deleteTree(scratch);
            }
        }
    }

    private static String pluginVersion(Path repo) throws IOException {
        Path dir = repo.resolve("io/kiln/kiln-maven-plugin");
        List<String> versions = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (Stream<Path> list = Files.list(dir)) {
                list.filter(Files::isDirectory).forEach(p -> versions.add(p.getFileName().toString()));
            }
        }
        if (versions.size() != 1) {
            throw new KilnException("bench plugin: needs exactly one kiln-maven-plugin in " + dir + " (found "
                    + versions + "); run ./mvnw -B -pl it -am verify, which installs it there");
        }
        return versions.get(0);
    }

    private static int count(Pattern p, String text) {
        Matcher m = p.matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    /** Runs the wrapper offline on a project, output to a log file, and times it. */
    private record Maven(Path mvnw, Path settings, Path repo, Path cache, Path logs) {
        private static final long TIMEOUT_MINUTES = 10;

        record Run(double millis, String log, Path logFile) {
        }

        Run run(Path project, String label, String... extra) throws IOException, InterruptedException {
            Files.createDirectories(logs);
            Path log = logs.resolve(label + ".log");
            List<String> command = new ArrayList<>(List.of(mvnw.toString(), "-B", "-o", "-s", settings.toString(),
                    "-Dmaven.repo.local=" + repo, "-Dkiln.cacheDirectory=" + cache));
            command.addAll(List.of(extra));
            command.add("package");
            ProcessBuilder pb = new ProcessBuilder(command).directory(project.toFile())
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            long start = System.nanoTime();
            Process p = pb.start();
            if (!p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new KilnException("bench plugin: " + label + " build took over " + TIMEOUT_MINUTES + " minutes; see " + log);
            }
            double millis = (System.nanoTime() - start) / 1e6;
            String text = Files.readString(log);
            if (p.exitValue() != 0) {
                throw new KilnException("bench plugin: the " + label + " build failed (exit " + p.exitValue() + "); see "
                        + log + " (rerun with --keep to keep it)");
            }
            return new Run(millis, text, log);
        }
    }
}
