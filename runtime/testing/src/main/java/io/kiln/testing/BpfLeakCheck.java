package io.kiln.testing;

import io.kiln.lab.Command;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks that a test leaves no BPF programs, maps or links behind, as {@code bpftool} (not Kiln)
 * sees them. Only objects whose name starts with the test's prefix count, and links of such
 * programs, because the machine may run other BPF users meanwhile.
 */
public final class BpfLeakCheck {
    private static final Pattern PROG_OR_MAP = Pattern.compile("\\{\"id\":(\\d+),\"type\":\"[^\"]*\",\"name\":\"([^\"]*)\"");
    private static final Pattern LINK = Pattern.compile("\\{\"id\":(\\d+),\"type\":(?:\"[^\"]*\"|\\d+),\"prog_id\":(\\d+)");

    /** How long freed objects may take to disappear from bpftool. */
    public static final java.time.Duration SETTLE = java.time.Duration.ofSeconds(10);

    private final String prefix;
    private final Snapshot before;

    private BpfLeakCheck(String prefix) {
        this.prefix = prefix;
        this.before = snapshot(prefix);
    }

    /** Objects present now and named with {@code prefix}, and the links of such programs. */
    public record Snapshot(Set<Integer> programs, Set<Integer> maps, Set<Integer> links) {
        public int total() {
            return programs.size() + maps.size() + links.size();
        }
    }

    /** Records what exists now. */
    public static BpfLeakCheck begin(String namePrefix) {
        return new BpfLeakCheck(namePrefix);
    }

    public Snapshot before() {
        return before;
    }

    /**
     * Fails listing every program, map or link with the prefix that exists now and did not before.
     * The kernel frees closed objects, and deleted namespaces, asynchronously (RCU, workqueues), so
     * this looks again for up to {@link #SETTLE} before it calls anything a leak.
     */
    public void assertNoLeaks() {
        assertNoLeaks(SETTLE);
    }

    /** {@link #assertNoLeaks()} with a chosen time for the kernel to free what was closed. */
    public void assertNoLeaks(java.time.Duration settle) {
        long deadline = System.nanoTime() + settle.toNanos();
        List<String> leaks;
        Snapshot after;
        while (true) {
            after = snapshot(prefix);
            leaks = new ArrayList<>();
            diff("program", before.programs(), after.programs(), leaks);
            diff("map", before.maps(), after.maps(), leaks);
            diff("link", before.links(), after.links(), leaks);
            if (leaks.isEmpty() || System.nanoTime() > deadline) {
                break;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (!leaks.isEmpty()) {
            throw new AssertionError("BPF objects left behind (bpftool ids): " + String.join(", ", leaks)
                    + "; before: " + before + ", after: " + after);
        }
    }

    /**
     * Fails if any of these programs or maps (kernel ids a test recorded) still exists after
     * {@code settle}. Unlike a check by name, other processes loading programs of the same names at
     * the same time (other tests on a shared machine) cannot make it fail.
     */
    public static void assertGone(java.util.Collection<Integer> programIds, java.util.Collection<Integer> mapIds,
                                  java.time.Duration settle) {
        long deadline = System.nanoTime() + settle.toNanos();
        while (true) {
            Set<Integer> programs = ids(bpftool("prog"));
            Set<Integer> maps = ids(bpftool("map"));
            List<String> left = new ArrayList<>();
            programIds.stream().filter(programs::contains).forEach(id -> left.add("program " + id));
            mapIds.stream().filter(maps::contains).forEach(id -> left.add("map " + id));
            if (left.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("BPF objects left behind (bpftool ids): " + String.join(", ", left));
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while checking for leaks");
            }
        }
    }

    private static Set<Integer> ids(String json) {
        Set<Integer> ids = new TreeSet<>();
        Matcher m = PROG_OR_MAP.matcher(json);
        while (m.find()) {
            ids.add(Integer.parseInt(m.group(1)));
        }
        return ids;
    }

    private static void diff(String kind, Set<Integer> before, Set<Integer> after, List<String> out) {
        for (int id : after) {
            if (!before.contains(id)) {
                out.add(kind + " " + id);
            }
        }
    }

    /** Programs and maps named {@code prefix*}, and links whose program is one of them. */
    public static Snapshot snapshot(String prefix) {
        Set<Integer> programs = named(bpftool("prog"), prefix);
        Set<Integer> maps = named(bpftool("map"), prefix);
        Set<Integer> links = new TreeSet<>();
        Matcher m = LINK.matcher(bpftool("link"));
        while (m.find()) {
            if (programs.contains(Integer.parseInt(m.group(2)))) {
                links.add(Integer.parseInt(m.group(1)));
            }
        }
        return new Snapshot(programs, maps, links);
    }

    private static Set<Integer> named(String json, String prefix) {
        Set<Integer> ids = new TreeSet<>();
        Matcher m = PROG_OR_MAP.matcher(json);
        while (m.find()) {
            if (m.group(2).startsWith(prefix)) {
                ids.add(Integer.parseInt(m.group(1)));
            }
        }
        return ids;
    }

    private static String bpftool(String what) {
        return Command.run(List.of("bpftool", "-j", what, "show")).orThrow().stdout();
    }
}
