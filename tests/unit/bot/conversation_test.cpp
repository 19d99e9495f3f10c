// The conversation as people really hold it (issue #13): sentences that start with a command
// word, small talk, asking for a person, menus that never trap, two-way tickets, which ticket an
// answer is for, bare ratings, attachments outside a flow.
#include <catch2/catch.hpp>

#include "bot_env.hpp"

using wedesk::bot::testing::BotEnv;
using wedesk::tickets::Status;

namespace {

constexpr const char* kPeople =
    "userid,name,mobile,account,department,role,groups\n"
    "zhangsan,张三,13800138001,zhangsan,财务部,employee,\n"
    "eng1,王工,13800138011,eng1,IT,engineer,desktop\n"
    "eng2,李工,13800138012,eng2,IT,engineer,desktop\n"
    "lead1,孙组长,13800138021,lead1,IT,lead,desktop\n";

wedesk::wecom::InboundMessage Image(const std::string& user, const std::string& media) {
    wedesk::wecom::InboundMessage m;
    m.from_user = user;
    m.type = wedesk::wecom::MsgType::kImage;
    m.raw_type = "image";
    m.media_id = media;
    return m;
}

struct Desk : BotEnv {
    Desk() {
        Import(kPeople);
        REQUIRE(tickets->SetDuty("eng1", true).ok());
    }
    // A ticket of zhangsan's, accepted by its engineer.
    std::string Accepted(const std::string& what) {
        auto t = tickets->Create("zhangsan", "pc", what, "P3");
        REQUIRE(t.ok());
        REQUIRE(tickets->Accept(t->no, t->assignee).ok());
        return t->no;
    }
};

}  // namespace

TEST_CASE("sentences that start with a command word are problems, not commands", "[unit]") {
    Desk env;
    for (const char* text : {"上班的时候电脑开不了机", "重开机以后蓝屏", "查询系统打不开",
                             "催办流程审批卡住了", "评价系统登录不了"}) {
        INFO(text);
        const auto reply = env.Say("zhangsan", text);
        CHECK_THAT(reply, !Catch::Contains("请带上工单号"));
        CHECK_THAT(reply, !Catch::Contains("工程师使用的命令"));
        CHECK_THAT(reply, Catch::Contains("用这段描述提交工单"));
        // Filed from the offer, the description is exactly what was typed.
        CHECK_THAT(env.Say("zhangsan", "2"), Catch::Contains("好的"));
    }
    // An engineer's sentence about his VPN does not put him off duty.
    env.Say("eng1", "下班后家里VPN连不上");
    env.Say("eng1", "取消");
    auto u = env.tickets->WhoIsAvailable();
    REQUIRE(u.ok());
    CHECK(u->on_duty == std::vector<std::string>{"王工"});
}

TEST_CASE("small talk gets a friendly answer and changes nothing", "[unit]") {
    Desk env;
    CHECK_THAT(env.Say("zhangsan", "你好"), Catch::Contains("您好"));
    CHECK_THAT(env.Say("zhangsan", "在吗？"), Catch::Contains("在的"));
    CHECK_THAT(env.Say("zhangsan", "谢谢！"), Catch::Contains("不客气"));
    CHECK_THAT(env.Say("zhangsan", "拜拜"), Catch::Contains("再见"));
    CHECK(env.State("zhangsan").flow.empty());
    CHECK(env.tickets->ListMine("zhangsan")->empty());
}

TEST_CASE("转人工 offers to file what was said and says who is on duty", "[unit]") {
    Desk env;
    SECTION("after describing a problem") {
        CHECK_THAT(env.Say("zhangsan", "会议室的投影仪一直闪"), Catch::Contains("提交工单"));
        const auto offer = env.Say("zhangsan", "转人工");
        CHECK_THAT(offer, Catch::Contains("王工"));
        CHECK_THAT(offer, Catch::Contains("会议室的投影仪一直闪"));
        const auto filed = env.Say("zhangsan", "1");
        CHECK_THAT(filed, Catch::Contains("已为您提交工单"));
        auto mine = env.tickets->ListMine("zhangsan");
        REQUIRE(mine->size() == 1);
        CHECK(mine->front().description == "会议室的投影仪一直闪");
        CHECK(mine->front().assignee == "eng1");
    }
    SECTION("with nothing said yet: asks for a sentence and files it") {
        const auto ask = env.Say("zhangsan", "人工");
        CHECK_THAT(ask, Catch::Contains("请用一两句话描述"));
        CHECK_THAT(env.Say("zhangsan", "打印机卡纸了（3楼）"), Catch::Contains("已为您提交工单"));
        auto mine = env.tickets->ListMine("zhangsan");
        REQUIRE(mine->size() == 1);
        CHECK(mine->front().category == "printer");  // guessed from the words
        CHECK(mine->front().description == "打印机卡纸了（3楼）");
    }
    SECTION("nobody on duty: says so") {
        REQUIRE(env.tickets->SetDuty("eng1", false).ok());
        CHECK_THAT(env.Say("zhangsan", "找工程师"), Catch::Contains("没有工程师在班"));
    }
}

TEST_CASE("menus never trap: names, a new question, help, 修改", "[unit]") {
    Desk env;
    SECTION("a category and an urgency by name, edit at the confirm step") {
        env.Say("zhangsan", "报修");
        CHECK_THAT(env.Say("zhangsan", "打印机"), Catch::Contains("请描述"));
        // 帮助 at the description step is help, not the description; the flow stays.
        CHECK_THAT(env.Say("zhangsan", "帮助"), Catch::Contains("正在进行的操作还在"));
        CHECK(env.State("zhangsan").step == "description");
        CHECK_THAT(env.Say("zhangsan", "卡纸了（周五）；１０点前要用"),
                   Catch::Contains("紧急程度"));
        CHECK_THAT(env.Say("zhangsan", "紧急"), Catch::Contains("请确认"));
        CHECK_THAT(env.Say("zhangsan", "修改"), Catch::Contains("要修改哪一项"));
        CHECK_THAT(env.Say("zhangsan", "3"), Catch::Contains("请选择紧急程度"));
        const auto confirm = env.Say("zhangsan", "非常紧急");
        CHECK_THAT(confirm, Catch::Contains("紧急程度：非常紧急"));
        CHECK_THAT(env.Say("zhangsan", "修改描述"), Catch::Contains("请重新描述"));
        CHECK_THAT(env.Say("zhangsan", "卡纸了（周五）；１０点前要用！"),
                   Catch::Contains("请确认"));
        CHECK_THAT(env.Say("zhangsan", "确认提交"), Catch::Contains("已为您创建工单"));
        auto mine = env.tickets->ListMine("zhangsan");
        REQUIRE(mine->size() == 1);
        CHECK(mine->front().category == "printer");
        CHECK(mine->front().priority == "P1");
        // Stored exactly as typed: full-width punctuation and digits kept.
        CHECK(mine->front().description == "卡纸了（周五）；１０点前要用！");
    }
    SECTION("a new question at the urgency step is taken as one") {
        env.Say("zhangsan", "报修");
        env.Say("zhangsan", "1");
        env.Say("zhangsan", "屏幕不亮");
        const auto reply = env.Say("zhangsan", "vpn连不上");
        CHECK_THAT(reply, Catch::Contains("刚才的报修没有提交"));
        CHECK_THAT(reply, Catch::Contains("用这段描述提交工单"));
    }
    SECTION("a command at a numbered choice runs") {
        env.Say("zhangsan", "报修");
        CHECK_THAT(env.Say("zhangsan", "我的工单"), Catch::Contains("还没有工单"));
        CHECK(env.State("zhangsan").flow.empty());
    }
    SECTION("a description typed at the category step is kept") {
        env.Say("zhangsan", "报修");
        CHECK_THAT(env.Say("zhangsan", "电脑特别慢"), Catch::Contains("请选择紧急程度"));
        env.Say("zhangsan", "1");
        env.Say("zhangsan", "确认");
        auto mine = env.tickets->ListMine("zhangsan");
        REQUIRE(mine->size() == 1);
        CHECK(mine->front().category == "pc");
        CHECK(mine->front().description == "电脑特别慢");
    }
}

TEST_CASE("two tickets wait for the employee: an answer is never guessed", "[unit]") {
    Desk env;
    const auto a = env.Accepted("打印机卡纸");
    const auto b = env.Accepted("插座没电");
    REQUIRE(env.tickets->Wait(a, "eng1", "哪一层的打印机？").ok());
    REQUIRE(env.tickets->Wait(b, "eng1", "是墙插还是插排？").ok());
    const auto ask = env.Say("zhangsan", "在5楼");
    CHECK_THAT(ask, Catch::Contains("回复哪一个"));
    CHECK_THAT(ask, Catch::Contains(a));
    CHECK_THAT(ask, Catch::Contains(b));
    // The list is newest first: pick the printer ticket by its position.
    const std::string pick = ask.find("1. " + a) != std::string::npos ? "1" : "2";
    CHECK_THAT(env.Say("zhangsan", pick), Catch::Contains("工单 " + a));
    CHECK(env.tickets->AdminGet(a)->ticket.status == Status::kInProgress);
    CHECK(env.tickets->AdminGet(b)->ticket.status == Status::kWaiting);
    // Only one waits now: the next answer goes to it.
    CHECK_THAT(env.Say("zhangsan", "是墙插"), Catch::Contains("工单 " + b));
    CHECK(env.tickets->AdminGet(b)->ticket.status == Status::kInProgress);
}

TEST_CASE("补充 and 回复 make a ticket two-way", "[unit]") {
    Desk env;
    const auto no = env.Accepted("投影仪没信号");
    env.notifier.Clear();
    CHECK_THAT(env.Say("zhangsan", "补充 " + no + " 是HDMI线（会议室B）"),
               Catch::Contains("已补充到工单"));
    auto to_eng = env.notifier.To("eng1", "text");
    REQUIRE(to_eng.size() == 1);
    CHECK_THAT(to_eng[0].body, Catch::Contains("是HDMI线（会议室B）"));

    CHECK_THAT(env.Say("eng1", "回复 " + no + " 我十分钟后到"), Catch::Contains("已发送给报修人"));
    CHECK_THAT(env.notifier.To("zhangsan", "text").back().body, Catch::Contains("我十分钟后到"));

    // 补充 NO alone: the photo that follows is added.
    CHECK_THAT(env.Say("zhangsan", "补充 " + no), Catch::Contains("请发送要补充"));
    CHECK_THAT(env.Handle(Image("zhangsan", "MEDIA_cable")).passive.text,
               Catch::Contains("已将附件添加到工单 " + no));
    CHECK(env.tickets->AdminGet(no)->ticket.attachments.size() == 1);
}

TEST_CASE("a photo outside a flow is offered to the employee's open tickets", "[unit]") {
    Desk env;
    const auto no = env.Accepted("显示器闪屏");
    const auto offer = env.Handle(Image("zhangsan", "MEDIA_screen")).passive.text;
    CHECK_THAT(offer, Catch::Contains("要添加到哪个工单"));
    CHECK_THAT(offer, Catch::Contains(no));
    CHECK_THAT(env.Say("zhangsan", "1"), Catch::Contains("已将附件添加到工单 " + no));
    // Without open tickets, a photo starts a new one that carries it.
    BotEnv fresh;
    fresh.Import(kPeople);
    CHECK_THAT(fresh.Handle(Image("zhangsan", "MEDIA_x")).passive.text,
               Catch::Contains("请选择问题类别"));
}

TEST_CASE("ratings: a bare digit after the prompt, decimals refused, low scores apologised",
          "[unit]") {
    Desk env;
    const auto no = env.Accepted("键盘失灵");
    REQUIRE(env.tickets->Resolve(no, "eng1", "换了键盘").ok());
    CHECK_THAT(env.Say("zhangsan", "评价 " + no + " 4.5"), Catch::Contains("整数"));
    CHECK_FALSE(env.tickets->AdminGet(no)->ticket.rating.has_value());
    CHECK_THAT(env.Say("zhangsan", "4.5"), Catch::Contains("整数"));
    const auto rated = env.Say("zhangsan", "2");
    CHECK_THAT(rated, Catch::Contains("非常抱歉"));
    CHECK(env.tickets->AdminGet(no)->ticket.rating == 2);
    CHECK_THAT(env.notifier.To("lead1", "text").back().body, Catch::Contains("低分评价"));
    // With nothing to rate, a digit is just a message.
    CHECK_THAT(env.Say("zhangsan", "5"), !Catch::Contains("评价"));
}

TEST_CASE("a verb without its number uses the person's own tickets", "[unit]") {
    Desk env;
    const auto no = env.Accepted("鼠标坏了");
    CHECK_THAT(env.Say("zhangsan", "催办"), Catch::Contains("已催办工单 " + no));
    const auto second = env.Accepted("键盘坏了");
    const auto ask = env.Say("zhangsan", "催办一下");
    CHECK_THAT(ask, Catch::Contains("请带上工单号，例如：催办 IT"));
    CHECK_THAT(ask, Catch::Contains(second));
    CHECK_THAT(ask, !Catch::Contains("P3"));  // employees see no priority codes
}

TEST_CASE("password words in a sentence offer the reset", "[unit]") {
    Desk env;
    // No reset service in this environment: a clear answer that is not "contact IT".
    const auto reply = env.Say("zhangsan", "密码忘了怎么办");
    CHECK_THAT(reply, Catch::Contains("报修"));
    CHECK_THAT(reply, !Catch::Contains("联系IT"));
}

TEST_CASE("transfer by name lists on-duty colleagues of the group", "[unit]") {
    Desk env;
    REQUIRE(env.tickets->SetDuty("eng2", true).ok());
    auto t = env.tickets->Create("zhangsan", "pc", "电脑坏了", "P3");
    REQUIRE(t.ok());
    const std::string mine = t->assignee;
    const std::string other = mine == "eng1" ? "eng2" : "eng1";
    const std::string other_name = other == "eng1" ? "王工" : "李工";
    REQUIRE(env.tickets->Accept(t->no, mine).ok());
    const auto picker = env.Say(mine, "转派 " + t->no);
    CHECK_THAT(picker, Catch::Contains("1. " + other_name));
    CHECK_THAT(env.Say(mine, "1"), Catch::Contains("已转派给 " + other_name));
    CHECK(env.tickets->AdminGet(t->no)->ticket.assignee == other);
    // An engineer cannot send it to someone off duty; the lead can.
    REQUIRE(env.tickets->SetDuty(mine, false).ok());
    CHECK_THAT(env.Say(other, "转派 " + t->no + " " + (mine == "eng1" ? "王工" : "李工")),
               Catch::Contains("不在班"));
    CHECK_THAT(env.Say("lead1", "转派 " + t->no + " " + mine + " 他熟悉这台电脑"),
               Catch::Contains("已转派给"));
}
