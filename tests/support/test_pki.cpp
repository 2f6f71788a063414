#include "support/test_pki.hpp"

#include <fstream>
#include <stdexcept>
#include <vector>

#include "harness/child_process.hpp"
#include "support/hub_process.hpp"

namespace octopus::test {

namespace {
void openssl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {harness::find_program("openssl", "/usr/bin/openssl")};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_command(argv);
    if (r.exit_code != 0) throw std::runtime_error("openssl failed: " + r.output);
}
}  // namespace

TestPki::TestPki(std::filesystem::path dir, const std::string& name)
    : dir_(std::move(dir)), name_(name) {
    openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-days", "2", "-subj", "/CN=" + name, "-keyout", (dir_ / (name + ".key")).string(),
             "-out", ca().string()});
}

CertFiles TestPki::issue(const std::string& file, const std::string& cn, const std::string& san,
                         const std::string& usage) const {
    CertFiles f{dir_ / (file + ".pem"), dir_ / (file + ".key")};
    auto csr = dir_ / (file + ".csr"), ext = dir_ / (file + ".ext");
    std::ofstream(ext) << "subjectAltName=" << san << "\nextendedKeyUsage=" << usage << "\n";
    openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj",
             "/CN=" + cn, "-keyout", f.key.string(), "-out", csr.string()});
    openssl({"x509", "-req", "-in", csr.string(), "-CA", ca().string(), "-CAkey",
             (dir_ / (name_ + ".key")).string(), "-CAcreateserial", "-days", "2", "-extfile",
             ext.string(), "-out", f.cert.string()});
    return f;
}

CertFiles TestPki::server(const std::string& file) const {
    return issue(file, "octopus-hub", "IP:127.0.0.1,DNS:localhost", "serverAuth");
}

CertFiles TestPki::client(const std::string& crab) const {
    return issue(name_ + "-" + crab, crab, "DNS:" + crab, "clientAuth");
}

}  // namespace octopus::test
