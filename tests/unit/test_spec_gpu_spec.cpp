#include <choline/spec/gpu_spec.hpp>

#include <catch2/catch.hpp>

using namespace choline;
using namespace choline::spec;

TEST_CASE("Short GPU specs parse into canonical names", "[spec]") {
  CHECK(parse_short_spec("4x3090").value() == GpuSpec{"RTX3090", 4, 1});
  CHECK(parse_short_spec("1xA100-80GB").value() == GpuSpec{"A100-80GB", 1, 1});
  CHECK(parse_short_spec("8xH100").value() == GpuSpec{"H100", 8, 1});
  CHECK(parse_short_spec("2xcpu").value() == GpuSpec{"cpu", 2, 1});
  CHECK(parse_short_spec("2XCPU").value() == GpuSpec{"cpu", 2, 1});
}

TEST_CASE("GPU aliases reach one canonical name and keep memory sizes", "[spec]") {
  for (const char* alias : {"3090", "rtx3090", "RTX_3090", "RTX 3090", "GeForce RTX 3090", "NVIDIA GeForce RTX 3090"}) {
    INFO(alias);
    CHECK(canonical_gpu(alias).value() == "RTX3090");
  }
  CHECK(canonical_gpu("a100_80gb").value() == "A100-80GB");
  CHECK(canonical_gpu("A100-80G").value() == "A100-80GB");
  CHECK(canonical_gpu("a100-40gb").value() == "A100-40GB");
  CHECK(canonical_gpu("A100").value() == "A100");
  CHECK(canonical_gpu("A6000").value() == "RTXA6000");
  CHECK(canonical_gpu("RTX 6000Ada").value() == "RTX6000ADA");
  CHECK(canonical_gpu("h100").value() == "H100");
}

TEST_CASE("Long GPU specs accept GPU:N, a bare GPU and the short form", "[spec]") {
  CHECK(parse_spec("RTX3090:4").value() == GpuSpec{"RTX3090", 4, 1});
  CHECK(parse_spec("h100").value() == GpuSpec{"H100", 1, 1});
  CHECK(parse_spec("cpu:2").value() == GpuSpec{"cpu", 2, 1});
  CHECK(parse_spec("2x4090").value() == GpuSpec{"RTX4090", 2, 1});
}

TEST_CASE("Invalid GPU specs are usage errors that say what was wrong and the accepted forms", "[spec]") {
  struct Case {
    const char* text;
    const char* says;
  };
  for (const Case& c : {Case{"0x3090", "at least 1"}, Case{"4x", "GPU name is missing"},
                        Case{"4xBANANA", "unknown GPU 'BANANA'"}, Case{"99999x3090", "at most 16 GPUs per host"},
                        Case{"x3090", "count before 'x' is missing"}, Case{"4x30900", "unknown GPU"},
                        Case{"1.5x3090", "not a whole number"}}) {
    INFO(c.text);
    auto spec = parse_short_spec(c.text);
    REQUIRE_FALSE(spec.ok());
    CHECK(spec.error().kind == ErrorKind::usage);
    CHECK_THAT(spec.error().message, Catch::Contains(c.says));
    CHECK_THAT(spec.error().message, Catch::Contains("accepted forms: --<N>x<GPU>"));
  }
  CHECK_THAT(parse_spec("RTX3090:zero").error().message, Catch::Contains("not a whole number"));
  CHECK_THAT(parse_spec("RTX3090:17").error().message, Catch::Contains("use --nodes"));
  CHECK_FALSE(parse_spec("").ok());
}

TEST_CASE("Unknown GPUs get a suggestion and the list of known GPUs", "[spec]") {
  const auto error = canonical_gpu("RTX3909").error();
  CHECK_THAT(error.message, Catch::Contains("did you mean RTX3090?"));
  CHECK_THAT(error.message, Catch::Contains("A100-80GB"));
}

TEST_CASE("CPU slots allow more than a GPU host but are still bounded", "[spec]") {
  CHECK(parse_short_spec("64xcpu").value().count == 64);
  CHECK_FALSE(parse_short_spec("100000xcpu").ok());
}

TEST_CASE("Nodes are bounded", "[spec]") {
  CHECK(validate_nodes(1).ok());
  CHECK(validate_nodes(k_max_nodes).ok());
  CHECK_FALSE(validate_nodes(0).ok());
  CHECK_FALSE(validate_nodes(k_max_nodes + 1).ok());
}

TEST_CASE("Argv rewriting turns --NxGPU into --gpus=GPU:N before a -- separator only", "[spec]") {
  auto out = rewrite_spec_flags({"train", "tr.py", "--4x3090", "--lr", "0.1"});
  REQUIRE(out.ok());
  CHECK(*out == std::vector<std::string>{"train", "tr.py", "--gpus=RTX3090:4", "--lr", "0.1"});

  out = rewrite_spec_flags({"train", "--", "./run", "--4x3090"});
  REQUIRE(out.ok());
  CHECK(*out == std::vector<std::string>{"train", "--", "./run", "--4x3090"});

  // Script flags that merely start with x are not specs.
  out = rewrite_spec_flags({"train", "tr.py", "--xla", "--x"});
  REQUIRE(out.ok());
  CHECK(*out == std::vector<std::string>{"train", "tr.py", "--xla", "--x"});
}

TEST_CASE("Argv rewriting reports the token as typed and refuses two specs", "[spec]") {
  auto out = rewrite_spec_flags({"train", "x.py", "--4xBANANA"});
  REQUIRE_FALSE(out.ok());
  CHECK(out.error().kind == ErrorKind::usage);
  CHECK_THAT(out.error().message, Catch::Contains("'--4xBANANA'"));

  out = rewrite_spec_flags({"train", "--2x3090", "--4x3090"});
  REQUIRE_FALSE(out.ok());
  CHECK_THAT(out.error().message, Catch::Contains("two GPU specs"));

  out = rewrite_spec_flags({"train", "--gpus", "H100:2", "--4x3090"});
  REQUIRE_FALSE(out.ok());
  CHECK_THAT(out.error().message, Catch::Contains("two GPU specs"));
}

TEST_CASE("GpuSpec describes itself", "[spec]") {
  CHECK(GpuSpec{"RTX3090", 4, 1}.describe() == "4xRTX3090");
  CHECK(GpuSpec{"H100", 8, 2}.describe() == "8xH100 x 2 nodes");
  CHECK(GpuSpec{"cpu", 2, 3}.total_workers() == 6);
}
