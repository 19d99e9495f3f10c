
#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "fakes/temp_dir.hpp"
#include "wedesk/schema/all.hpp"
#include "wedesk/store/database.hpp"
#include "wedesk/store/user_repository.hpp"

using namespace wedesk;
using Catch::Matchers::Contains;

namespace {

const std::string kHeader = "userid,name,mobile,account,department,role,groups\n";

struct Fixture {
    testing::TempDir dir;
    std::unique_ptr<store::Database> db =
        store::Database::Open(dir.File("wedesk.db"), wedesk::schema::All());
    store::UserRepository users{*db};
};

std::string ImportError(store::UserRepository& users, const std::string& csv) {
    auto r = users.ImportCsv(csv, 100);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == wedesk::Errc::kInvalid);
    return r.error().message;
}

}  // namespace

TEST_CASE("mobile numbers normalise to E.164", "[unit]") {
    CHECK(store::NormalizeMobile("13800138000") == "+8613800138000");
    CHECK(store::NormalizeMobile("138-0013-8000") == "+8613800138000");
    CHECK(store::NormalizeMobile("+86 138 0013 8000") == "+8613800138000");
    CHECK(store::NormalizeMobile("+85291234567") == "+85291234567");
    CHECK(store::NormalizeMobile("+14155550123") == "+14155550123");
    CHECK_FALSE(store::NormalizeMobile("23800138000"));  // not a mainland mobile
    CHECK_FALSE(store::NormalizeMobile("1380013800"));   // 10 digits
    CHECK_FALSE(store::NormalizeMobile("+861380013800"));
    CHECK_FALSE(store::NormalizeMobile("+0123456789"));
    CHECK_FALSE(store::NormalizeMobile("+86abc"));
    CHECK_FALSE(store::NormalizeMobile("8613800138000"));
}

TEST_CASE("importing users inserts, updates and reports unchanged rows", "[unit]") {
    Fixture f;
    const std::string csv = kHeader +
                            "ZhangSan,张三,13800138000,zhangsan,财务部,employee,\n"
                            "lisi,李四,+8613900139000,lisi,信息技术部,engineer,desktop;network\n"
                            "wangwu,王五,,wangwu,信息技术部,lead,desktop\n";
    auto r = f.users.ImportCsv(csv, 1000);
    REQUIRE(r.ok());
    CHECK(r->inserted == 3);
    CHECK(r->updated == 0);
    CHECK(r->unchanged == 0);

    auto zs = f.users.Find("zhangsan");
    REQUIRE(zs);
    CHECK(zs->userid == "zhangsan");
    CHECK(zs->name == "张三");
    CHECK(zs->mobile == "+8613800138000");
    CHECK(zs->department == "财务部");
    CHECK(zs->role == Role::kEmployee);
    CHECK(zs->groups.empty());
    CHECK_FALSE(zs->on_duty);
    CHECK(f.users.Find("ZHANGSAN"));  // case-insensitive
    CHECK_FALSE(f.users.Find("nobody"));

    auto ls = f.users.Find("lisi");
    REQUIRE(ls);
    CHECK(ls->groups == std::vector<std::string>{"desktop", "network"});
    CHECK(f.users.Find("wangwu")->mobile.empty());

    // Same file again: nothing changes. Then one change.
    auto again = f.users.ImportCsv(csv, 2000);
    REQUIRE(again.ok());
    CHECK(again->unchanged == 3);
    CHECK(again->inserted + again->updated == 0);

    REQUIRE(f.users.SetDuty("lisi", true, 2000).ok());
    f.users.TouchAssigned("lisi", 1500);
    auto changed = f.users.ImportCsv(kHeader +
                                         "lisi,李四,+8613900139000,lisi,信息技术部,lead,network\n"
                                         "zhaoliu,赵六,13700137000,zhaoliu,人事部,,\n",
                                     3000);
    REQUIRE(changed.ok());
    CHECK(changed->updated == 1);
    CHECK(changed->inserted == 1);
    ls = f.users.Find("lisi");
    CHECK(ls->role == Role::kLead);
    CHECK(ls->groups == std::vector<std::string>{"network"});
    CHECK(ls->on_duty);  // an import never changes duty
    CHECK(ls->last_assigned_at == 1500);
    CHECK(f.users.Find("zhaoliu")->role == Role::kEmployee);  // empty role

    const auto all = f.users.List();
    REQUIRE(all.size() == 4);  // people missing from a later file are kept
    CHECK(all[0].userid == "lisi");
    CHECK(all[3].userid == "zhaoliu");
}

TEST_CASE("CSV quoting, BOM, CRLF and blank lines are handled", "[unit]") {
    Fixture f;
    const std::string csv =
        "\xEF\xBB\xBFuserid,name,mobile,account,department,role,groups\r\n"
        "\"chen\",\"Chen, \"\"Tony\"\"\",13800138000,chen,\"研发部,后端\",engineer,\" apps ; "
        "network;\"\r\n"
        "\r\n"
        "zhou,周,13800138001,zhou,\"多行\n部门\",employee,\r\n"
        "sun,孙,13800138002,sun,行政部,employee,";  // no final newline
    auto r = f.users.ImportCsv(csv, 1);
    INFO((r.ok() ? std::string() : r.error().message));
    REQUIRE(r.ok());
    CHECK(r->inserted == 3);
    auto chen = f.users.Find("chen");
    REQUIRE(chen);
    CHECK(chen->name == "Chen, \"Tony\"");
    CHECK(chen->department == "研发部,后端");
    CHECK(chen->groups == std::vector<std::string>{"apps", "network"});
    CHECK(f.users.Find("zhou")->department == "多行\n部门");
    CHECK(f.users.Find("sun"));
}

TEST_CASE("columns may come in any order", "[unit]") {
    Fixture f;
    auto r = f.users.ImportCsv(
        "Name,UserID,groups,role,department,account,mobile\n张三,zs,,employee,财务部,zs,\n", 1);
    REQUIRE(r.ok());
    CHECK(f.users.Find("zs")->name == "张三");
}

TEST_CASE("a bad file is refused whole, with every bad line named", "[unit]") {
    Fixture f;
    const std::string csv = kHeader +
                            "ok1,好人,13800138000,ok1,部门,employee,\n"  // line 2
                            "bad1,坏人,12345,bad1,部门,employee,\n"      // line 3: mobile
                            "bad2,坏人,,bad2,部门,superuser,\n"          // line 4: role
                            "OK1,重复,,ok1b,部门,employee,\n"            // line 5: duplicate
                            ",无名,,x,部门,employee,\n"                  // line 6: userid
                            "bad3,坏人,,bad3,部门\n"                     // line 7: fields
                            "bad4,,,bad4,部门,employee,\n"               // line 8: name
                            "bad5,坏人,,\"bad 5\",部门,employee,\n"      // line 9: account
                            "bad6 x,坏人,,bad6,部门,employee,\n";        // line 10: userid
    const auto msg = ImportError(f.users, csv);
    CHECK_THAT(msg, Contains("line 3: mobile"));
    CHECK_THAT(msg, Contains("line 4: role"));
    CHECK_THAT(msg, Contains("line 5: duplicate userid ok1 (also on line 2)"));
    CHECK_THAT(msg, Contains("line 6: userid is empty"));
    CHECK_THAT(msg, Contains("line 7: expected 7 fields, got 5"));
    CHECK_THAT(msg, Contains("line 8: name is empty"));
    CHECK_THAT(msg, Contains("line 9: account"));
    CHECK_THAT(msg, Contains("line 10: userid"));
    CHECK(msg.find("line 2:") == std::string::npos);
    CHECK(f.users.List().empty());  // nothing applied, not even line 2

    // Line numbers count physical lines, also across quoted line breaks.
    const auto multi =
        ImportError(f.users, kHeader + "a,\"x\ny\",,a,d,employee,\nb,B,1,b,d,employee,\n");
    CHECK_THAT(multi, Contains("line 4: mobile"));
}

TEST_CASE("header and quoting problems are reported", "[unit]") {
    Fixture f;
    CHECK_THAT(ImportError(f.users, ""), Contains("line 1: missing header"));
    CHECK_THAT(ImportError(f.users, "userid,name,mobile,account,department,role\n"),
               Contains("line 1: missing column \"groups\""));
    CHECK_THAT(ImportError(f.users, "userid,name,mobile,account,department,role,groups,email\n"),
               Contains("line 1: unknown column \"email\""));
    CHECK_THAT(ImportError(f.users, kHeader + "a,\"unterminated,,,,,\n"),
               Contains("line 2: quoted field is never closed"));
    CHECK_THAT(ImportError(f.users, kHeader + "a,\"x\"y,,a,d,employee,\n"),
               Contains("line 2: unexpected text after a closing quote"));
    CHECK_THAT(ImportError(f.users, kHeader + "a,\xC0\xAF,,a,d,employee,\n"),
               Contains("line 2: name is not valid UTF-8"));
    // A header alone is a valid, empty import.
    auto empty = f.users.ImportCsv(kHeader, 1);
    REQUIRE(empty.ok());
    CHECK(empty->inserted == 0);
}

TEST_CASE("duty and group queries serve dispatch", "[unit]") {
    Fixture f;
    REQUIRE(f.users
                .ImportCsv(kHeader + "e1,工程师1,,e1,IT,engineer,desktop\n"
                                     "e2,工程师2,,e2,IT,engineer,desktop;network\n"
                                     "e3,工程师3,,e3,IT,engineer,network\n"
                                     "l1,组长,,l1,IT,lead,desktop\n"
                                     "u1,员工,,u1,财务,employee,\n",
                           1)
                .ok());
    CHECK(f.users.OnDutyInGroup("desktop").empty());

    REQUIRE(f.users.SetDuty("E1", true, 10).ok());
    REQUIRE(f.users.SetDuty("e2", true, 10).ok());
    REQUIRE(f.users.SetDuty("e3", true, 10).ok());
    auto missing = f.users.SetDuty("ghost", true, 10);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == wedesk::Errc::kNotFound);

    auto desk = f.users.OnDutyInGroup("desktop");
    REQUIRE(desk.size() == 2);
    CHECK(desk[0].userid == "e1");  // both never assigned: by userid
    CHECK(desk[1].userid == "e2");

    f.users.TouchAssigned("e1", 50);
    desk = f.users.OnDutyInGroup("desktop");
    REQUIRE(desk.size() == 2);
    CHECK(desk[0].userid == "e2");  // least recently assigned first
    CHECK(desk[1].userid == "e1");
    CHECK(desk[1].last_assigned_at == 50);

    REQUIRE(f.users.SetDuty("e2", false, 60).ok());
    desk = f.users.OnDutyInGroup("desktop");
    REQUIRE(desk.size() == 1);
    CHECK(desk[0].userid == "e1");

    const auto leads = f.users.InGroupWithRole("desktop", Role::kLead);
    REQUIRE(leads.size() == 1);
    CHECK(leads[0].userid == "l1");
    CHECK(f.users.InGroupWithRole("network", Role::kLead).empty());
    CHECK(f.users.InGroupWithRole("network", Role::kEngineer).size() == 2);
}

TEST_CASE("users survive reopening the database", "[unit]") {
    testing::TempDir dir;
    {
        auto db = store::Database::Open(dir.File("w.db"), wedesk::schema::All());
        store::UserRepository users(*db);
        REQUIRE(users.ImportCsv(kHeader + "a,A,,a,d,engineer,g\n", 1).ok());
        REQUIRE(users.SetDuty("a", true, 2).ok());
    }
    auto db = store::Database::Open(dir.File("w.db"), wedesk::schema::All());
    store::UserRepository users(*db);
    auto a = users.Find("a");
    REQUIRE(a);
    CHECK(a->on_duty);
    CHECK(a->groups == std::vector<std::string>{"g"});
}

TEST_CASE("one person per directory account, whatever the spelling", "[unit][security]") {
    Fixture f;
    // In one file: "DAVE" is dave's account.
    const auto in_file =
        ImportError(f.users, kHeader +
                                 "dave,Dave,,dave,Sales,employee,\n"
                                 "mallory,Mallory,13900000009,DAVE,Sales,employee,\n");
    CHECK_THAT(in_file, Contains("line 3: account DAVE is already mapped to dave (line 2)"));
    CHECK(f.users.List().empty());
    // Against people already imported and not remapped by the file.
    REQUIRE(f.users.ImportCsv(kHeader + "dave,Dave,,dave,Sales,employee,\n", 100).ok());
    const auto later =
        ImportError(f.users, kHeader + "mallory,Mallory,13900000009,Dave,Sales,employee,\n");
    CHECK_THAT(later, Contains("line 2: account Dave is already mapped to dave"));
    CHECK_FALSE(f.users.Find("mallory"));
    // Moving an account from one person to another in the same file is fine.
    auto moved = f.users.ImportCsv(kHeader +
                                       "dave,Dave,,dave-old,Sales,employee,\n"
                                       "david,David,,dave,Sales,employee,\n",
                                   200);
    REQUIRE(moved.ok());
    CHECK(f.users.OwnersOf("DAVE") == std::vector<std::string>{"david"});
    // The database refuses a second mapping however it gets there.
    store::WriteTx tx(*f.db);
    CHECK_THROWS(tx.Conn().exec(
        "INSERT INTO users (userid, account, created_at, updated_at) VALUES ('eve', 'DAVID', 1, 1)"
        " , ('eve2', 'dAvE', 1, 1)"));
}
