package io.kiln.cli;

import picocli.CommandLine.Command;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks. Each prints medians of several runs and a ratio against a baseline measured in"
                + " the same run.",
        subcommands = {BenchCompileCommand.class, BenchLoadCommand.class, BenchSwapCommand.class,
                BenchDatapathCommand.class, BenchIptablesCommand.class, BenchFlowsCommand.class, BenchRegenCommand.class,
                BenchPluginCommand.class, BenchBringupCommand.class, BenchUpgradeCommand.class,
                BenchDnsCommand.class})
final class BenchCommand {
}
