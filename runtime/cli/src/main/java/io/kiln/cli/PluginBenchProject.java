package io.kiln.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The two projects {@code kiln bench plugin} builds: the same jar project (one Java class, the hello
 * template under src/main/bpf), once with the Kiln plugin declaring N variants and once without it.
 */
final class PluginBenchProject {
    private PluginBenchProject() {
    }

    static Path write(Path dir, String name, String kilnVersion, int variants, boolean withPlugin, Path hello)
            throws IOException {
        Path project = Files.createDirectories(dir.resolve(name));
        Files.writeString(project.resolve("pom.xml"), pom(name, kilnVersion, variants, withPlugin));
        Path java = Files.createDirectories(project.resolve("src/main/java/bench"));
        Files.writeString(java.resolve("App.java"), """
                package bench;

                /** Something for the compiler to do besides the templates. */
                public final class App {
                    private App() {
                    }

                    public static String greeting() {
                        return "hello from the bench project";
                    }
                }
                """);
        copyTree(hello, project.resolve("src/main/bpf/hello"));
        return project;
    }

    private static String pom(String name, String kilnVersion, int variants, boolean withPlugin) {
        List<String> declared = new ArrayList<>();
        for (int i = 0; i < variants; i++) {
            declared.add("                <variant>counterSlots=" + (3 + i) + "</variant>");
        }
        String plugin = !withPlugin ? "" : """
                  <plugin>
                    <groupId>io.kiln</groupId>
                    <artifactId>kiln-maven-plugin</artifactId>
                    <version>%s</version>
                    <configuration>
                      <bindingsPackage>bench.bpf</bindingsPackage>
                      <templates>
                        <template>
                          <name>hello</name>
                          <variants>
                %s
                          </variants>
                        </template>
                      </templates>
                    </configuration>
                    <executions>
                      <execution>
                        <goals><goal>generate</goal><goal>compile</goal></goals>
                      </execution>
                    </executions>
                  </plugin>
                """.formatted(kilnVersion, String.join("\n", declared));
        return """
                <?xml version="1.0" encoding="UTF-8"?>
                <project xmlns="http://maven.apache.org/POM/4.0.0">
                  <modelVersion>4.0.0</modelVersion>
                  <groupId>bench</groupId>
                  <artifactId>%s</artifactId>
                  <version>1.0</version>
                  <properties>
                    <maven.compiler.release>17</maven.compiler.release>
                    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
                    <project.build.outputTimestamp>2026-01-01T00:00:00Z</project.build.outputTimestamp>
                  </properties>
                  <build>
                    <pluginManagement>
                      <plugins>
                        <plugin><artifactId>maven-compiler-plugin</artifactId><version>3.14.1</version></plugin>
                        <plugin><artifactId>maven-surefire-plugin</artifactId><version>3.5.4</version></plugin>
                        <plugin><artifactId>maven-jar-plugin</artifactId><version>3.4.2</version></plugin>
                        <plugin><artifactId>maven-resources-plugin</artifactId><version>3.3.1</version></plugin>
                      </plugins>
                    </pluginManagement>
                    <plugins>
                %s
                    </plugins>
                  </build>
                </project>
                """.formatted(name, plugin);
    }

    /** Settings that read the developer's repository as a file:// repository, as the invoker tests do. */
    static Path settings(Path dir, Path developerRepository) throws IOException {
        String url = developerRepository.toUri().toString();
        String repo = """
                        <id>developer</id>
                        <url>%s</url>
                        <releases><enabled>true</enabled><checksumPolicy>ignore</checksumPolicy></releases>
                        <snapshots><enabled>false</enabled></snapshots>
                """.formatted(url);
        return Files.writeString(dir.resolve("settings.xml"), """
                <settings>
                  <profiles>
                    <profile>
                      <id>it-repo</id>
                      <activation><activeByDefault>true</activeByDefault></activation>
                      <repositories><repository>
                %s      </repository></repositories>
                      <pluginRepositories><pluginRepository>
                %s      </pluginRepository></pluginRepositories>
                    </profile>
                  </profiles>
                </settings>
                """.formatted(repo, repo));
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.sorted(Comparator.naturalOrder()).toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
