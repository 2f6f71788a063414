#include "server/auth/auth_service.hpp"

#include <sys/stat.h>

#include <spdlog/spdlog.h>

#include "server/auth/token_file.hpp"
#include "server/ws_options.hpp"

namespace octopus::server {

namespace http = boost::beast::http;
namespace auth = core::auth;
using protocol::Error;
using protocol::ErrorCode;

namespace {
constexpr std::chrono::milliseconds kWatchInterval{250};
constexpr std::string_view kBearerScheme = "bearer ";
constexpr std::string_view kBearerProtocol = "bearer.";

// "inode size mtime": changes whenever the file is replaced or rewritten; empty if absent.
std::string file_stamp(const std::filesystem::path& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) return {};
    return std::to_string(st.st_ino) + " " + std::to_string(st.st_size) + " " +
           std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

void warn_if_readable_by_others(const std::filesystem::path& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0 && (st.st_mode & 077)) {
        spdlog::warn("token file {} can be read by other users (mode {:o}); chmod 600 it",
                     file.string(), st.st_mode & 0777);
    }
}

bool iequals_prefix(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
    }
    return true;
}

std::string trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return std::string(s);
}

// push:NAME for the crab a verified client certificate names (a name that is not a valid crab
// name gets a grant that matches nothing, so its hello is refused as forbidden).
Caller certificate_caller(const std::string& crab) {
    auto grant = std::make_shared<auth::Grant>();
    grant->id = "certificate " + crab.substr(0, 64);
    if (auto scope = auth::parse_scope("push:" + crab)) grant->scopes.push_back(*scope);
    return Caller{grant, true};
}
}  // namespace

std::optional<std::string> request_token(const AuthService::Request& req) {
    if (auto it = req.find(http::field::authorization); it != req.end()) {
        std::string_view value(it->value().data(), it->value().size());
        if (!iequals_prefix(value, kBearerScheme)) return std::nullopt;
        return trim(value.substr(kBearerScheme.size()));
    }
    for (const auto& item : offered_subprotocols(req)) {
        if (item.rfind(kBearerProtocol, 0) == 0) return item.substr(kBearerProtocol.size());
    }
    return std::nullopt;
}

AuthService::AuthService(boost::asio::io_context& io, std::optional<std::filesystem::path> file)
    : timer_(io), file_(std::move(file)) {}

void AuthService::load() {
    if (!file_) return;
    stamp_ = file_stamp(*file_);
    tokens_ = load_token_file(*file_);
    warn_if_readable_by_others(*file_);
    spdlog::info("authentication on: {} tokens from {}", tokens_.grants.size(), file_->string());
}

void AuthService::start(std::function<void()> on_change) {
    on_change_ = std::move(on_change);
    last_check_ = std::chrono::system_clock::now();
    if (file_) watch();
}

void AuthService::stop() {
    timer_.cancel();
}

std::optional<std::string> AuthService::reload() {
    if (!file_) return std::nullopt;
    stamp_ = file_stamp(*file_);
    try {
        tokens_ = load_token_file(*file_);
    } catch (const std::exception& e) {
        spdlog::error("token file not reloaded, the previous {} tokens stay in force: {}",
                      tokens_.grants.size(), e.what());
        return std::string(e.what());
    }
    spdlog::info("token file reloaded: {} tokens", tokens_.grants.size());
    if (on_change_) on_change_();
    return std::nullopt;
}

void AuthService::watch() {
    timer_.expires_after(kWatchInterval);
    timer_.async_wait([this](boost::system::error_code ec) {
        if (ec) return;
        check();
        watch();
    });
}

void AuthService::check() {
    if (file_changed()) {
        reload();
    } else if (expiry_passed() && on_change_) {
        on_change_();
    }
}

bool AuthService::file_changed() {
    return file_stamp(*file_) != stamp_;
}

// True when some token's expiry fell since the previous check.
bool AuthService::expiry_passed() {
    auto now = std::chrono::system_clock::now();
    bool passed = false;
    for (const auto& g : tokens_.grants) {
        if (g->expires && *g->expires > last_check_ && *g->expires <= now) passed = true;
    }
    last_check_ = now;
    return passed;
}

protocol::Result<Caller> AuthService::authenticate(const Request& req, const Peer& from) {
    if (!file_) return Caller{};
    const std::string& peer = from.address;
    auto now = std::chrono::steady_clock::now();
    if (limiter_.blocked(peer, now)) {
        return Error{ErrorCode::rate_limited,
                     "too many failed authentications from this address; retry later"};
    }
    auto token = request_token(req);
    if (!token && from.cert_crab) return certificate_caller(*from.cert_crab);
    auth::GrantPtr grant;
    if (token) grant = tokens_.find(auth::sha256(*token), std::chrono::system_clock::now());
    if (grant) return Caller{grant};
    if (limiter_.record_failure(peer, now))
        spdlog::warn("authentication: {} failures from {}, refusing it for a while",
                     auth::LimiterOptions{}.max_failures, peer);
    return Error{ErrorCode::unauthorized,
                 token ? "the token is not valid (unknown, revoked or expired)"
                       : "this hub needs a token: Authorization: Bearer TOKEN"};
}

std::optional<Caller> AuthService::refresh(const Caller& caller) const {
    if (!caller.grant || caller.by_certificate) return caller;
    auto grant = tokens_.find(caller.grant->hash, std::chrono::system_clock::now());
    if (!grant) return std::nullopt;
    return Caller{grant};
}

}  // namespace octopus::server
