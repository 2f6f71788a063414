// The test executables' main. ctest runs each doctest case alone ("--test-case=NAME", one
// ctest test per case); a name ctest cannot pass through intact (a ';' splits it) would match
// no case and pass silently. So a run filtered by --test-case that ran no case fails.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstring>
#include <iostream>

namespace {

int cases_started = 0;

struct CaseCounter : doctest::IReporter {
    explicit CaseCounter(const doctest::ContextOptions&) {}
    void report_query(const doctest::QueryData&) override {}
    void test_run_start() override {}
    void test_run_end(const doctest::TestRunStats&) override {}
    void test_case_start(const doctest::TestCaseData&) override { ++cases_started; }
    void test_case_reenter(const doctest::TestCaseData&) override {}
    void test_case_end(const doctest::CurrentTestCaseStats&) override {}
    void test_case_exception(const doctest::TestCaseException&) override {}
    void subcase_start(const doctest::SubcaseSignature&) override {}
    void subcase_end() override {}
    void log_assert(const doctest::AssertData&) override {}
    void log_message(const doctest::MessageData&) override {}
    void test_case_skipped(const doctest::TestCaseData&) override {}
};

REGISTER_LISTENER("case-counter", 1, CaseCounter);

bool filtered_by_case(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        if (!std::strncmp(argv[i], "--test-case=", 12) || !std::strncmp(argv[i], "-tc=", 4))
            return true;
    }
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    doctest::Context context(argc, argv);
    int result = context.run();
    if (context.shouldExit()) return result;
    if (result == 0 && cases_started == 0 && filtered_by_case(argc, argv)) {
        std::cerr << "no test case matched the --test-case filter\n";
        return 1;
    }
    return result;
}
