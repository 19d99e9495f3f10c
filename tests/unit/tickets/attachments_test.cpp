// Attachments: files people send are fetched from WeCom (the API emulator over loopback) right
// after their step, kept on disk with size and sha256, forwarded to the assignee, retried or
// given up with a reason, deleted after the retention period, and sent again by 附件 NO.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tickets_env.hpp"
#include "wedesk/common/digest.hpp"
#include "wedesk/sim/api_emulator.hpp"
#include "wedesk/tickets/attachments.hpp"
#include "wedesk/wecom/api_client.hpp"

using namespace wedesk::tickets;
using namespace wedesk::tickets::testing;

namespace {

constexpr const char* kCorp = "ww5f3c9a1e7b2d4068";
constexpr const char* kSecret = "app-secret-value";

struct MediaEnv : Env {
    wedesk::sim::ApiEmulator emu{kCorp, kSecret, 0};
    int port = emu.Start("127.0.0.1", 0);
    wedesk::wecom::ApiClient api{emu.BaseUrl(), kCorp, wedesk::Secret(kSecret), 1, clock, 2};
    wedesk::config::AttachmentsConfig files = [this] {
        wedesk::config::AttachmentsConfig f;
        f.dir = dir.File("attachments");
        f.max_mb = 1;
        f.retention_days = 30;
        return f;
    }();
    Attachments attachments{*db, files, notifier, clock, api};

    std::string Upload(const std::string& type, const std::string& name, std::string bytes,
                       const std::string& content_type = "image/png") {
        return emu.AddMedia({type, name, content_type, std::move(bytes)});
    }
    Attachment Only(const std::string& no) {
        auto d = svc->AdminGet(no);
        REQUIRE(d.ok());
        REQUIRE(d->ticket.attachments.size() == 1);
        return d->ticket.attachments.front();
    }
};

std::string ReadFile(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

TEST_CASE(
    "attachments: a new photo is fetched, kept with its sha256 and forwarded to the "
    "assignee",
    "[unit]") {
    MediaEnv env;
    const std::string png(2000, 'p');
    const auto media = env.Upload("image", "ignored.png", png);
    auto t = env.svc->Create("emp1", "printer", "打印机卡纸", "P3", {{media}});
    REQUIRE(t.ok());
    REQUIRE_FALSE(t->assignee.empty());
    CHECK(env.Only(t->no).state == "pending");
    env.notifier.Clear();

    const auto r = env.attachments.RunOnce();
    CHECK(r.stored == 1);
    CHECK_FALSE(r.next_due.has_value());
    const auto a = env.Only(t->no);
    CHECK(a.state == "stored");
    CHECK(a.size_bytes == 2000);
    CHECK(a.sha256 == wedesk::Sha256Hex(png));
    CHECK(a.content_type == "image/png");
    CHECK(a.file_name == "图片-" + std::to_string(a.id) + ".png");
    const auto path = env.attachments.PathOf(a);
    CHECK(ReadFile(path) == png);
    CHECK_THAT(a.path, Catch::StartsWith("2026/11/" + t->no + "-"));

    const auto files = env.notifier.To(t->assignee, "file");
    REQUIRE(files.size() == 1);
    CHECK(files[0].body == std::filesystem::absolute(path).string());
    const auto texts = env.notifier.To(t->assignee, "text");
    REQUIRE(texts.size() == 1);
    CHECK_THAT(texts[0].body, Catch::Contains("张三 发来的图片"));

    // Nothing left to do: a second pass fetches nothing.
    CHECK(env.attachments.RunOnce().stored == 0);
    CHECK(env.emu.MediaGets() == 1);
}

TEST_CASE("attachments: a file keeps the name it was sent with", "[unit]") {
    MediaEnv env;
    const auto media = env.Upload("file", "x", "2026-11-23 error 0x80070005\n", "text/plain");
    auto t = env.CreateAccepted();
    REQUIRE(env.svc->AddAttachment(t.no, "emp1", {media, "file", "C:\\logs\\安装日志.txt"}).ok());
    REQUIRE(env.attachments.RunOnce().stored == 1);
    const auto a = env.Only(t.no);
    CHECK(a.file_name == "安装日志.txt");
    CHECK_THAT(a.path, Catch::EndsWith(".txt"));
    CHECK_THAT(DescribeAttachment(a), Catch::StartsWith("文件 安装日志.txt · 28 B · sha256 "));
}

TEST_CASE(
    "attachments: an expired media_id or a file over the cap fails with its reason, "
    "and is not fetched again",
    "[unit]") {
    MediaEnv env;
    auto t = env.CreateAccepted();
    REQUIRE(env.svc->AddAttachment(t.no, "emp1", {"media-that-expired"}).ok());
    auto r = env.attachments.RunOnce();
    CHECK(r.failed == 1);
    auto a = env.Only(t.no);
    CHECK(a.state == "failed");
    CHECK(a.error == "企业微信中已过期");
    CHECK(env.notifier.To(t.assignee, "file").empty());
    const auto told = env.notifier.To("emp1", "text");
    REQUIRE_FALSE(told.empty());
    CHECK(told.back().body ==
          "您为工单 " + t.no + " 发送的图片没能保存：企业微信中已过期。请重新发送一次。");

    auto t2 = env.CreateAccepted("emp2");
    const auto big = env.Upload("file", "big.zip", std::string(1024 * 1024 + 1, 'z'));
    REQUIRE(env.svc->AddAttachment(t2.no, "emp2", {big, "file", "big.zip"}).ok());
    CHECK(env.attachments.RunOnce().failed == 1);
    const auto b = env.Only(t2.no);
    CHECK(b.state == "failed");
    CHECK(b.error == "文件超过 1 MB");
    CHECK_THAT(env.notifier.To("emp2", "text").back().body,
               Catch::Contains("（big.zip）没能保存：文件超过 1 MB。请压缩后重新发送。"));
    CHECK_FALSE(std::filesystem::exists(std::filesystem::path(env.files.dir) / "2026"));

    env.Advance(std::chrono::hours(5));
    CHECK(env.attachments.RunOnce().failed == 0);
    CHECK(env.emu.MediaGets() == 2);
}

TEST_CASE("attachments: while WeCom is down the fetch is retried with backoff", "[unit]") {
    MediaEnv env;
    const auto media = env.Upload("image", "a.jpg", std::string(100, 'j'), "image/jpeg");
    auto t = env.CreateAccepted();
    REQUIRE(env.svc->AddAttachment(t.no, "emp1", {media}).ok());
    env.emu.SetDown(true);
    auto r = env.attachments.RunOnce();
    CHECK(r.retried == 1);
    REQUIRE(r.next_due.has_value());
    CHECK(*r.next_due == env.clock.NowSeconds() + 30);
    CHECK(env.Only(t.no).state == "pending");

    env.emu.SetDown(false);
    CHECK(env.attachments.RunOnce().stored == 0);  // not due yet
    env.Advance(std::chrono::seconds(30));
    CHECK(env.attachments.RunOnce().stored == 1);
    CHECK(env.Only(t.no).state == "stored");
    CHECK_THAT(env.Only(t.no).path, Catch::EndsWith(".jpg"));
}

TEST_CASE("attachments: files of tickets closed longer ago than the retention are deleted",
          "[unit]") {
    MediaEnv env;
    const auto media = env.Upload("image", "a.png", std::string(64, 'a'));
    auto t = env.svc->Create("emp1", "printer", "打印机卡纸", "P3", {{media}});
    REQUIRE(t.ok());
    REQUIRE(env.attachments.RunOnce().stored == 1);
    const auto path = env.attachments.PathOf(env.Only(t->no));
    REQUIRE(std::filesystem::exists(path));

    CHECK(env.attachments.Purge() == 0);  // still open
    REQUIRE(env.svc->Cancel(t->no, "emp1").ok());
    env.Advance(std::chrono::hours(24 * 29));
    CHECK(env.attachments.Purge() == 0);  // cancelled 29 days ago
    env.Advance(std::chrono::hours(24 * 2));
    CHECK(env.attachments.Purge() == 1);
    CHECK_FALSE(std::filesystem::exists(path));
    CHECK(env.Only(t->no).state == "purged");
    CHECK_THAT(DescribeAttachment(env.Only(t->no)), Catch::Contains("已按保留期限删除"));
}

TEST_CASE("attachments: 附件 NO sends the stored files to whoever may view the ticket", "[unit]") {
    MediaEnv env;
    auto t = env.CreateAccepted();
    CHECK(env.svc->SendAttachments(t.no, t.assignee).error().message ==
          "工单 " + t.no + " 没有附件。");
    REQUIRE(env.svc->AddAttachment(t.no, "emp1", {env.Upload("image", "", "12345678")}).ok());
    REQUIRE(env.svc->AddAttachment(t.no, "emp1", {"gone-media"}).ok());
    REQUIRE(env.attachments.RunOnce().stored == 1);
    env.notifier.Clear();

    auto sent = env.svc->SendAttachments(t.no, "lead_d");
    REQUIRE(sent.ok());
    CHECK(*sent == 1);
    CHECK(env.notifier.To("lead_d", "file").size() == 1);
    CHECK(env.svc->SendAttachments(t.no, "emp2").error().code == wedesk::Errc::kNotFound);
    CHECK(env.notifier.To("emp2").empty());
}
