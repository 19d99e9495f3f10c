#include "kb/synonyms.hpp"

namespace wedesk::kb {

const std::vector<std::vector<std::string>>& BuiltinSynonyms() {
    static const std::vector<std::vector<std::string>> groups = {
        // Networks
        {"wifi", "wlan", "无线", "无线网", "无线网络", "wify", "wi-fi", "wireless"},
        {"vpn", "内网", "globalprotect", "远程办公", "在家办公", "vnp", "vpm"},
        {"上不了网", "上不去网", "没网", "断网", "无法上网", "不能上网", "网断", "网络不通",
         "连不上网", "上网", "连网", "联网", "internet"},
        {"有线", "网线", "以太网", "网口", "ethernet"},
        {"连不上", "连接失败", "连不了", "连接不上", "断开", "断线", "掉线", "断"},
        {"访客", "客人", "客户", "guest", "visitor"},
        // Accounts and passwords
        {"密码", "password", "密吗", "口令", "pwd", "passwd", "秘码"},
        {"忘记", "忘了", "记不得", "想不起", "forgot", "forget"},
        {"锁定", "被锁", "锁了", "锁住", "locked", "lock", "解锁", "unlock"},
        {"改密码", "修改密码", "更改密码", "换密码", "重置密码", "reset"},
        {"过期", "到期", "expired", "expire", "失效"},
        {"账号", "账户", "帐号", "帐户", "account", "域账号"},
        {"登不上", "登录不了", "登录不上", "登不进去", "无法登录", "登录失败", "登陆", "login",
         "logon", "sign"},
        // Mail
        {"邮箱", "outlook", "邮件", "email", "mail", "油箱", "邮件箱", "exchange", "outlock",
         "收信", "发信"},
        {"发不出去", "发不出", "发送失败", "发不了", "退信", "发件箱", "send"},
        {"收不到", "接收不到", "没收到", "receive"},
        {"钓鱼", "phishing", "诈骗", "可疑邮件", "中奖", "骗子", "spam"},
        // Printing and scanning
        {"打印", "打印机", "printer", "print", "答印", "打引", "打应"},
        {"扫描", "scan", "scanner", "扫描件", "扫瞄"},
        {"发票", "invoice", "电子发票", "开票", "报销"},
        {"卡纸", "夹纸", "paper jam", "jam"},
        // Meetings
        {"投屏", "投影", "大屏", "屏幕镜像", "airplay", "projector", "头屏", "投平", "同屏"},
        {"黑屏", "没信号", "无信号", "不亮", "屏幕不亮", "没画面", "没有画面", "signal"},
        {"没声音", "听不到", "没有声音", "静音", "声音", "audio", "sound", "mic", "麦克风", "耳麦"},
        {"摄像头", "camera", "webcam", "相机", "镜头"},
        {"视频会议", "腾讯会议", "zoom", "teams", "线上会议", "网络会议"},
        {"电视", "tv", "大屏幕"},
        // Computers
        {"卡", "慢", "卡顿", "很卡", "好卡", "电脑卡", "卡死", "很慢", "运行慢", "反应慢", "变慢",
         "lag", "slow"},
        {"蓝屏", "bsod"},
        {"开机", "开不了机", "无法开机", "不开机", "开机没反应", "启动不了", "开不开机", "boot"},
        {"显示器", "monitor", "屏幕", "显示屏", "外接屏", "副屏"},
        {"鼠标", "mouse"},
        {"键盘", "keyboard"},
        {"病毒", "中毒", "virus", "木马", "勒索", "malware"},
        {"c盘", "系统盘", "磁盘空间", "硬盘满", "空间不足", "磁盘满", "disk", "满了"},
        {"扩展坞", "dock", "docking", "拓展坞"},
        {"mac", "macbook", "苹果电脑"},
        {"iphone", "苹果手机", "ios"},
        {"安卓", "android"},
        {"换电脑", "新电脑", "申请电脑", "电脑太旧", "laptop"},
        // Software
        {"装软件", "安装软件", "软件安装", "下载软件", "install", "software", "软件中心", "装个",
         "想装", "要装", "photoshop", "ps", "visio", "xmind", "autocad", "cad", "安装"},
        {"管理员权限", "admin", "administrator", "管理员"},
        {"激活", "activate", "activation", "未激活", "授权", "许可证", "license"},
        {"office", "word", "excel", "ppt", "powerpoint"},
        {"浏览器", "browser", "chrome", "edge", "网页", "网站", "firefox"},
        {"证书", "certificate", "不安全", "私密连接", "ssl"},
        {"远程桌面", "rdp", "mstsc", "远程连接", "远程控制", "远程"},
        {"企业微信", "企微", "wecom", "wework", "企业威信"},
        // Files
        {"共享盘", "共享文件夹", "公共盘", "网盘", "映射盘", "s盘", "share", "文件服务器", "nas",
         "z盘", "y盘", "x盘", "h盘", "p盘", "网络驱动器", "盘符", "映射"},
        {"误删", "删了", "删掉", "找回", "恢复", "还原", "restore", "recover", "undelete"},
        {"打不开", "无法打开", "打开失败", "开不了", "进不去", "访问不了", "无法访问"},
        // People
        {"离职", "辞职", "resign", "退职"},
        {"入职", "新员工", "新人", "新同事", "onboarding"},
        {"报修", "提交工单", "工单", "找it", "it服务台", "helpdesk", "服务台", "联系it"},
    };
    return groups;
}

}  // namespace wedesk::kb
