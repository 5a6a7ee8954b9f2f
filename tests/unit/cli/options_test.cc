#include "cli/options.h"

#include <gtest/gtest.h>

namespace vane::cli {
namespace {

Result<Invocation> parse(std::vector<std::string> argv) { return parseArgs(argv); }

TEST(ParseArgs, CommandArgsAndGlobalFlagsAnywhere) {
  auto inv = parse({"-n", "shop", "promote", "demo", "--full", "--context=ctx"});
  ASSERT_TRUE(inv.ok()) << inv.status().message();
  EXPECT_EQ(inv->command->path, "promote");
  EXPECT_EQ(inv->args, std::vector<std::string>{"demo"});
  EXPECT_TRUE(inv->flag("full"));
  EXPECT_EQ(inv->namespace_, "shop");
  EXPECT_EQ(inv->context, "ctx");
}

TEST(ParseArgs, TwoWordCommandsAndAliases) {
  EXPECT_EQ(parse({"get", "ro", "demo"})->command->path, "get rollout");
  EXPECT_EQ(parse({"get", "rollouts", "demo", "-w"})->command->path, "get rollout");
  EXPECT_EQ(parse({"list", "ro", "-A"})->command->path, "list rollouts");
  EXPECT_EQ(parse({"retry", "rollout", "demo"})->args[0], "demo");
  EXPECT_EQ(parse({"retry", "exp", "e1", "e2"})->command->path, "retry experiment");
  EXPECT_EQ(parse({"retry", "experiments", "e1", "e2"})->args,
            (std::vector<std::string>{"e1", "e2"}));
  EXPECT_EQ(parse({"get", "exp", "e1", "-w"})->command->path, "get experiment");
  EXPECT_EQ(parse({"list", "experiment", "-A"})->command->path, "list experiments");
  EXPECT_EQ(parse({"terminate", "ar", "a1", "a2"})->args, (std::vector<std::string>{"a1", "a2"}));
  EXPECT_EQ(parse({"terminate", "experiments", "e1"})->command->path, "terminate experiment");
  auto watch = parse({"list", "rollouts", "-w", "--name", "demo", "--timestamps"});
  ASSERT_TRUE(watch.ok()) << watch.status().message();
  EXPECT_TRUE(watch->flag("watch"));
  EXPECT_EQ(watch->value("name"), "demo");
  EXPECT_FALSE(parse({"list", "experiments", "--watch"}).ok());  // as Argo: no watch there
  auto set = parse({"set", "image", "demo", "*=nginx:1.27"});
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->args, (std::vector<std::string>{"demo", "*=nginx:1.27"}));
}

TEST(ParseArgs, ValuesAndDefaults) {
  auto r = parse({"restart", "demo", "-i", "30s"});
  EXPECT_EQ(r->value("in"), "30s");
  auto u = parse({"undo", "demo"});
  EXPECT_EQ(u->value("to-revision"), "0");
  auto s = parse({"status", "demo", "--watch=false", "-t", "1m"});
  EXPECT_EQ(s->value("watch"), "false");
  EXPECT_EQ(s->value("timeout"), "1m");
  auto l = parse({"promote", "-lapp=demo"});
  ASSERT_TRUE(l.ok()) << l.status().message();
  EXPECT_EQ(l->value("selector"), "app=demo");
  EXPECT_TRUE(l->args.empty());
}

TEST(ParseArgs, ErrorsNameTheArgument) {
  auto unknown = parse({"promote", "demo", "--bogus"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("--bogus"), std::string::npos);
  auto wrong_cmd_flag = parse({"pause", "demo", "--full"});
  ASSERT_FALSE(wrong_cmd_flag.ok());
  EXPECT_NE(wrong_cmd_flag.status().message().find("--full"), std::string::npos);
  auto missing = parse({"abort"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("NAME"), std::string::npos);
  auto extra = parse({"pause", "a", "b"});
  ASSERT_FALSE(extra.ok());
  EXPECT_NE(extra.status().message().find("\"b\""), std::string::npos);
  auto no_value = parse({"restart", "demo", "--in"});
  ASSERT_FALSE(no_value.ok());
  EXPECT_NE(no_value.status().message().find("--in"), std::string::npos);
  auto cmd = parse({"frobnicate"});
  ASSERT_FALSE(cmd.ok());
  EXPECT_NE(cmd.status().message().find("frobnicate"), std::string::npos);
  EXPECT_FALSE(parse({"promote", "demo", "--all"}).ok());  // NAME with --all
  EXPECT_FALSE(parse({"get", "rollout", "demo", "--no-color=maybe"}).ok());
}

TEST(ParseArgs, ValuesOfTheWrongKindNameTheFlag) {
  auto in = parse({"restart", "demo", "--in", "soon"});
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.status().message(),
            "--in soon: invalid value \"soon\": want a duration such as 30s, 1m30s, 1.5h or 500ms");
  auto timeout = parse({"status", "demo", "-t", "-5s"});
  ASSERT_FALSE(timeout.ok());
  EXPECT_NE(timeout.status().message().find("-t -5s: invalid value"), std::string::npos);
  auto rev = parse({"undo", "demo", "--to-revision=three"});
  ASSERT_FALSE(rev.ok());
  EXPECT_NE(rev.status().message().find("want an integer"), std::string::npos);
  auto output = parse({"plan", "-f", "x.yaml", "-o", "yaml"});
  ASSERT_FALSE(output.ok());
  EXPECT_NE(output.status().message().find("want one of text, json"), std::string::npos);
  auto ok = parse({"restart", "demo", "--in", "1.5h"});
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->value("in"), "1.5h");
}

TEST(ParseArgs, HelpForEveryCommand) {
  for (const CommandSpec& c : commandTable()) {
    std::vector<std::string> argv;
    for (size_t p = 0, q; p != std::string::npos; p = q == std::string::npos ? q : q + 1) {
      q = c.path.find(' ', p);
      argv.push_back(c.path.substr(p, q == std::string::npos ? q : q - p));
    }
    argv.push_back("--help");
    auto inv = parseArgs(argv);
    ASSERT_TRUE(inv.ok()) << c.path << ": " << inv.status().message();
    EXPECT_TRUE(inv->help);
    std::string help = commandHelp(*inv->command);
    EXPECT_NE(help.find("kubectl vane " + c.path), std::string::npos);
    EXPECT_NE(help.find("--namespace"), std::string::npos);
    EXPECT_NE(rootHelp().find(c.path), std::string::npos);
  }
  // judge parses its own flags but is listed with the rest.
  EXPECT_NE(rootHelp().find("\n  judge "), std::string::npos);
}

}  // namespace
}  // namespace vane::cli
