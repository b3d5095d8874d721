//! Localisation: every UI string lives in the one table below, English and Simplified Chinese
//! side by side, so a key cannot exist in one language only (the macro requires both).
//!
//! The locale comes from the `pp_lang` cookie, else the request's `Accept-Language`; the server
//! writes it into `<html lang>`, and the browser hydrates from that attribute so both sides agree.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const LOCALE_COOKIE: &str = "pp_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Locale {
    #[default]
    En,
    ZhCn,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::En, Locale::ZhCn];
    /// The tags `from_tag` reads, as the API document states them: `en` or `zh`, alone or with
    /// a subtag, in any case.
    pub const TAG_PATTERN: &str = "^([Ee][Nn]|[Zz][Hh])(-.*)?$";

    /// The BCP 47 tag used in `<html lang>` and the cookie.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::ZhCn => "zh-CN",
        }
    }

    /// The language's own name, shown in the switch whatever the current locale.
    pub fn native_name(self) -> &'static str {
        match self {
            Locale::En => "English",
            Locale::ZhCn => "简体中文",
        }
    }

    /// What the language switch shows: short, so it fits a 360 px header beside the account.
    pub fn short_name(self) -> &'static str {
        match self {
            Locale::En => "EN",
            Locale::ZhCn => "中文",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Locale> {
        let tag = tag.trim().to_ascii_lowercase();
        if tag == "en" || tag.starts_with("en-") {
            Some(Locale::En)
        } else if tag == "zh" || tag.starts_with("zh-") {
            // Traditional-script tags still get Simplified Chinese: closer than English.
            Some(Locale::ZhCn)
        } else {
            None
        }
    }

    /// Picks the best supported locale from an `Accept-Language` header, honouring q-values.
    pub fn from_accept_language(header: &str) -> Option<Locale> {
        let mut best: Option<(f32, Locale)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or_default();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(locale) = Locale::from_tag(tag) {
                if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, locale));
                }
            }
        }
        best.map(|(_, l)| l)
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Locale::En => &EN,
            Locale::ZhCn => &ZH_CN,
        }
    }
}

macro_rules! texts {
    ($($key:ident: $en:expr, $zh:expr;)*) => {
        /// All UI strings of one language.
        #[derive(Debug)]
        pub struct Texts { $(pub $key: &'static str,)* }
        pub static EN: Texts = Texts { $($key: $en,)* };
        pub static ZH_CN: Texts = Texts { $($key: $zh,)* };
        #[cfg(test)]
        pub(crate) fn all_pairs() -> Vec<(&'static str, &'static str, &'static str)> {
            vec![$((stringify!($key), $en, $zh),)*]
        }
    };
}

texts! {
    app_name: "Parcelport", "Parcelport";
    tagline: "Ship, track and return parcels without a phone call.", "寄件、查件、退件，无需致电客服。";
    skip_to_content: "Skip to content", "跳到正文";
    nav_menu: "Menu", "菜单";
    nav_home: "Home", "首页";
    nav_track: "Track", "查件";
    nav_dashboard: "Dashboard", "工作台";
    nav_customers: "Customers", "客户";
    nav_account: "Account", "账户";
    nav_sign_in: "Sign in", "登录";
    nav_sign_up: "Create account", "注册";
    nav_sign_out: "Sign out", "退出登录";
    language: "Language", "语言";
    signed_in_as: "Signed in as", "当前用户";
    role_customer: "Customer", "客户";
    role_agent: "Care agent", "客服专员";
    role_manager: "Manager", "经理";
    footer_rights: "Parcelport — the carrier's customer portal", "Parcelport — 承运商客户服务门户";
    footer_api: "API (OpenAPI)", "接口文档（OpenAPI）";
    footer_status: "Service status", "服务状态";
    loading: "Loading…", "加载中…";

    hero_title: "Where is my parcel?", "我的包裹在哪里？";
    hero_lead: "Enter a tracking number to see status, timeline and delivery window. No account needed.", "输入运单号即可查看状态、轨迹和预计送达时间，无需注册。";
    track_label: "Tracking number", "运单号";
    track_placeholder: "e.g. RR123456785CN", "例如 RR123456785CN";
    track_hint: "Several numbers? Separate them with spaces or commas.", "多个运单号请用空格或逗号分隔。";
    track_button: "Track", "查询";
    feature_book_title: "Book in minutes", "几分钟完成寄件";
    feature_book_body: "Compare prices for every service before you book, then print the label.", "下单前比较各项服务的价格，然后打印面单。";
    feature_track_title: "Honest ETAs", "真实的预计送达时间";
    feature_track_body: "Follow the parcel on a map and hear about a delay before you notice it.", "在地图上跟踪包裹，延误时第一时间通知您。";
    feature_care_title: "Care that closes the loop", "闭环的客户服务";
    feature_care_body: "Returns, complaints and ratings online, each answered and followed up.", "在线退货、投诉和评价，件件有回应、有跟进。";
    cta_business: "Shipping for a business?", "企业寄件？";
    cta_business_body: "Create a free account to book shipments, manage addresses and see your history.", "免费注册账户，即可下单寄件、管理地址并查看历史记录。";

    track_title: "Track parcels", "包裹查询";
    track_results: "Results", "查询结果";
    track_not_found: "No parcel with this number is known to us yet. Check the number, or try again later: new shipments appear once the sender books them.", "暂未查到该运单号的包裹。请核对单号，或稍后再试：寄件人下单后包裹信息才会显示。";
    track_invalid: "This is not a valid tracking number.", "这不是有效的运单号。";
    track_none_given: "Enter at least one tracking number.", "请至少输入一个运单号。";

    sign_in_title: "Sign in", "登录";
    sign_in_button: "Sign in", "登录";
    sign_in_no_account: "New to Parcelport?", "还没有账户？";
    sign_up_title: "Create your account", "创建账户";
    sign_up_lead: "For shippers: businesses and individuals. It is free.", "面向寄件人：企业和个人均可免费注册。";
    sign_up_button: "Create account", "创建账户";
    sign_up_have_account: "Already have an account?", "已有账户？";
    field_email: "Email", "电子邮箱";
    field_password: "Password", "密码";
    field_password_hint: "At least 12 characters, not a common password.", "至少 12 个字符，不能是常见密码。";
    field_name: "Your name", "姓名";
    field_company: "Company (optional)", "公司（选填）";
    field_industry: "Industry", "行业";
    field_current_password: "Current password", "当前密码";
    field_new_password: "New password", "新密码";
    industry_manufacturing: "Manufacturing", "制造业";
    industry_retail: "Retail", "零售";
    industry_ecommerce: "E-commerce", "电子商务";
    industry_other: "Other", "其他";

    nav_addresses: "Addresses", "地址簿";
    addresses_title: "Address book", "地址簿";
    addresses_lead: "Saved senders and recipients, ready to pick when you book.", "保存常用的寄件人和收件人，下单时直接选用。";
    address_add: "Add an address", "新增地址";
    address_edit: "Edit address", "编辑地址";
    address_save: "Save address", "保存地址";
    address_saved: "Address saved.", "地址已保存。";
    address_edit_button: "Edit", "编辑";
    address_delete_button: "Delete", "删除";
    address_cancel: "Cancel", "取消";
    address_empty: "No saved addresses yet.", "还没有保存的地址。";
    field_contact_name: "Contact name", "联系人";
    field_phone: "Phone", "电话";
    field_line1: "Street and number", "街道和门牌号";
    field_line2: "Building, floor, unit (optional)", "楼栋、楼层、房间号（选填）";
    field_city: "City", "城市";
    field_postcode: "Postcode", "邮政编码";
    field_country: "Country or region", "国家/地区";
    country_cn: "China (mainland)", "中国大陆";
    country_hk: "Hong Kong", "中国香港";
    country_sg: "Singapore", "新加坡";
    country_jp: "Japan", "日本";
    country_kr: "South Korea", "韩国";
    country_us: "United States", "美国";
    country_ca: "Canada", "加拿大";
    country_gb: "United Kingdom", "英国";
    country_de: "Germany", "德国";
    country_fr: "France", "法国";
    country_nl: "Netherlands", "荷兰";
    country_au: "Australia", "澳大利亚";
    nav_quote: "Get a price", "查询运费";
    quote_title: "Get a price", "查询运费";
    quote_lead: "Prices for every service before you book, itemised.", "下单前查看每种服务的价格及明细。";
    quote_sender: "From (sender)", "寄件地址";
    quote_recipient: "To (recipient)", "收件地址";
    quote_need_addresses: "Save the sender and recipient in your address book first.", "请先在地址簿中保存寄件人和收件人。";
    quote_parcel: "Parcel", "包裹";
    field_weight_kg: "Weight (kg)", "重量（公斤）";
    field_length_cm: "Length (cm)", "长（厘米）";
    field_width_cm: "Width (cm)", "宽（厘米）";
    field_height_cm: "Height (cm)", "高（厘米）";
    field_declared_value: "Declared value (¥, optional)", "申报价值（元，选填）";
    field_contents: "Contents", "内件品名";
    field_insure: "Insure for the declared value", "按申报价值投保";
    quote_button: "Show prices", "查看价格";
    quote_distance: "Distance: {km} km", "距离：{km} 公里";
    quote_arrives: "Arrives {from} – {to}", "预计 {from} 至 {to} 送达";
    quote_breakdown: "Price breakdown", "价格明细";
    quote_remote: "Remote destination", "偏远地区";
    service_standard: "Standard", "标准快递";
    service_express: "Express", "特快专递";
    service_scheduled: "Scheduled delivery", "预约派送";
    service_pickup_point: "To a pickup point", "送至自提点";
    line_carriage: "Carriage, parcel {n} ({kg} kg chargeable)", "运费，包裹 {n}（计费重量 {kg} 公斤）";
    line_carriage_volumetric: "Carriage, parcel {n} ({kg} kg by volume)", "运费，包裹 {n}（按体积计 {kg} 公斤）";
    line_remote: "Remote area surcharge", "偏远地区附加费";
    line_oversize: "Oversize surcharge, parcel {n}", "超大件附加费，包裹 {n}";
    line_insurance: "Insurance, parcel {n}", "保价费，包裹 {n}";
    line_discount: "Account discount ({percent}%)", "账户折扣（{percent}%）";
    fe_not_a_number: "Enter a number, e.g. 2.5.", "请输入数字，例如 2.5。";
    account_title: "Your account", "我的账户";
    account_profile: "Profile", "个人资料";
    account_save: "Save profile", "保存资料";
    account_saved: "Profile saved.", "资料已保存。";
    account_password: "Change password", "修改密码";
    account_password_button: "Change password", "修改密码";
    account_password_changed: "Password changed. Other devices have been signed out.", "密码已修改，其他设备已退出登录。";
    account_customer: "Customer account", "客户账户";
    account_member_since: "Member since", "注册时间";

    dashboard_welcome: "Welcome, {name}", "欢迎，{name}";
    dashboard_customer_lead: "Your shipping at a glance.", "您的寄件概览。";
    dashboard_track_parcel: "Track a parcel", "查询包裹";
    dashboard_account_card: "Account", "账户";
    dashboard_users: "Users on this account", "该账户的用户";
    dashboard_staff_lead: "Customers and care at a glance.", "客户与服务概览。";
    dashboard_customer_count: "Customers", "客户数";
    dashboard_new_this_week: "New in the last 7 days", "近 7 天新增";
    dashboard_staff_count: "Staff users", "员工用户";
    dashboard_emails_waiting_for_smtp: "{n} customer email(s) are waiting: no mail server is configured (SMTP_URL). They are sent once it is set and the server restarted.", "有 {n} 封客户邮件正在等待发送：尚未配置邮件服务器（SMTP_URL）。设置后重启服务器即会发送。";
    dashboard_latest_customers: "Latest customers", "最新客户";
    dashboard_no_customers: "No customers yet.", "暂无客户。";
    customers_title: "Customers", "客户";
    col_customer: "Customer", "客户";
    col_industry: "Industry", "行业";
    col_users: "Users", "用户数";
    col_joined: "Joined", "注册时间";

    error_not_found_title: "Page not found", "页面不存在";
    error_not_found_body: "The page you asked for does not exist or has moved.", "您访问的页面不存在或已移动。";
    error_server_title: "Something went wrong", "出错了";
    error_server_body: "We could not complete this request. Please try again in a moment.", "暂时无法完成请求，请稍后重试。";
    error_unavailable_title: "Back in a moment", "马上回来";
    error_forbidden_title: "Not allowed", "无权访问";
    error_forbidden_body: "Your account does not have access to this page.", "您的账户无权访问此页面。";
    error_sign_in_required: "Please sign in to continue.", "请先登录。";
    back_home: "Back to the home page", "返回首页";

    err_validation: "Some fields need your attention.", "部分字段需要修改。";
    err_unauthenticated: "Please sign in first.", "请先登录。";
    err_forbidden: "You are not allowed to do this.", "您无权执行此操作。";
    err_not_found: "Not found.", "未找到。";
    err_no_such_route: "There is no such API route. The routes are listed at /api/v1/openapi.json.", "没有这个 API 路径。所有路径见 /api/v1/openapi.json。";
    err_conflict: "This conflicts with existing data.", "与已有数据冲突。";
    err_invalid_credentials: "Email or password is wrong.", "邮箱或密码错误。";
    err_rate_limited: "Too many attempts. Please wait {seconds} seconds and try again.", "尝试次数过多，请等待 {seconds} 秒后重试。";
    err_rate_limited_minutes: "Too many attempts. Please wait {minutes} minutes and try again.", "尝试次数过多，请等待 {minutes} 分钟后重试。";
    err_daily_limit: "Today's limit is reached. It resets at midnight UTC, in about {hours} hours.", "今日次数已用完，将于 UTC 午夜重置（约 {hours} 小时后）。";
    err_bad_request: "The request could not be understood.", "无法识别该请求。";
    err_invalid_body: "The request body does not have the expected fields.", "请求内容缺少或包含错误的字段。";
    err_payload_too_large: "The request is too large. Send a smaller file or fewer rows.", "请求内容过大，请发送更小的文件或更少的行。";
    err_unsupported_media_type: "Send the body as JSON (Content-Type: application/json).", "请以 JSON 格式发送请求内容（Content-Type: application/json）。";
    err_cross_origin: "Requests from another site are refused.", "拒绝来自其他网站的请求。";
    err_internal: "Something went wrong on our side. Please try again.", "服务器出错，请重试。";
    err_unavailable: "Parcelport is unavailable for a moment. Please try again shortly.", "Parcelport 暂时不可用，请稍后重试。";
    err_network: "Could not reach Parcelport. Check your connection and try again.", "无法连接 Parcelport，请检查网络后重试。";

    fe_required: "This field is required.", "此项为必填。";
    fe_too_long: "This is too long (at most {max} characters).", "内容过长（最多 {max} 个字符）。";
    fe_email_invalid: "Enter an email address like name@example.com.", "请输入有效的邮箱地址，例如 name@example.com。";
    fe_email_taken: "An account with this email already exists.", "该邮箱已注册。";
    fe_password_too_short: "Use at least {min} characters.", "至少需要 {min} 个字符。";
    fe_password_too_long: "Use at most {max} characters.", "最多 {max} 个字符。";
    fe_industry_invalid: "Choose one of the listed industries.", "请选择列出的行业之一。";
    fe_current_password_wrong: "The current password is not correct.", "当前密码不正确。";
    account_sessions: "Where you are signed in", "登录设备";
    account_sessions_lead: "Browsers signed in to this account and API tokens that act for it. Sign out any you do not recognise; a password change signs out all the others.", "已登录此账户的浏览器和代表此账户的 API 令牌。如有不认识的，请将其退出；修改密码会退出其他所有登录。";
    account_device: "{browser} on {system}", "{system} 上的 {browser}";
    account_unknown_browser: "Unknown browser", "未知浏览器";
    account_unknown_system: "unknown system", "未知系统";
    account_this_device: "This device", "本设备";
    account_last_active: "last active {time}", "最近使用 {time}";
    account_signed_in_at: "signed in {time}", "登录于 {time}";
    account_sign_out_device: "Sign out", "退出登录";
    account_tokens: "API tokens", "API 令牌";
    account_tokens_none: "No API tokens. Integrations get one from POST /api/v1/tokens.", "没有 API 令牌。集成系统可通过 POST /api/v1/tokens 获取。";
    account_token_made: "created {time}", "创建于 {time}";
    account_token_expires: "expires {time}", "到期 {time}";
    account_token_unused: "never used", "从未使用";
    account_token_revoke: "Revoke", "撤销";
    fe_daily_upload_limit: "Today's uploads are used up ({files} files or {mb} MB a day). More can be added after midnight UTC.", "今日上传额度已用完（每天 {files} 个文件或 {mb} MB）。UTC 午夜后可继续上传。";
    fe_password_common: "This password is on the lists attackers try first. Choose another, such as a few unrelated words.", "这个密码在攻击者最先尝试的常见密码列表中。请换一个，例如几个互不相关的词。";
    fe_control_characters: "Remove line breaks and control characters.", "请删除换行符和控制字符。";
    fe_postcode_invalid: "This postcode does not match the country's format.", "邮政编码与所选国家/地区的格式不符。";
    fe_phone_invalid: "Enter a phone number of 6 to 15 digits, e.g. +86 138 0013 8000.", "请输入 6 到 15 位数字的电话号码，例如 +86 138 0013 8000。";
    fe_country_invalid: "Choose a country we deliver to.", "请选择我们提供派送服务的国家/地区。";
    fe_city_unknown: "We cannot find this city in the chosen country. Check the spelling (e.g. Shanghai).", "在所选国家/地区找不到该城市，请检查拼写（例如 Shanghai）。";
    fe_must_be_positive: "Enter a number greater than zero.", "请输入大于零的数字。";
    fe_too_large: "At most {max}.", "最大为 {max}。";
    fe_too_heavy: "A parcel can weigh at most {max} kg.", "单件包裹重量不能超过 {max} 公斤。";
    fe_invalid: "This value is not valid.", "该值无效。";
    fe_idempotency_key_reused: "This Idempotency-Key was already used for a different request. Use a new key for a new booking.", "该 Idempotency-Key 已用于另一个不同的请求，新的预订请使用新的 key。";
    fe_request_in_progress: "This request is still being processed. Try again in a moment.", "该请求仍在处理中，请稍后重试。";
    fe_not_cancellable: "This shipment has already been picked up and can no longer be cancelled.", "该货件已被揽收，无法取消。";
    fe_file_too_large: "The file is too large (at most {max} MB).", "文件过大（最大 {max} MB）。";
    fe_file_encoding: "The file is not readable text. Save it as CSV UTF-8 (or GBK) and try again.", "无法读取文件内容。请另存为 CSV UTF-8（或 GBK）格式后重试。";
    fe_file_unreadable: "The first line must hold the column names of the template.", "第一行必须是模板中的列名。";
    fe_file_empty: "The file has no shipments in it.", "文件中没有货件数据。";
    fe_columns_missing: "Columns are missing; download the template to see them all.", "缺少必需的列，请下载模板查看所有列。";
    fe_row_unreadable: "This line is not valid CSV (check the quotes).", "该行不是有效的 CSV（请检查引号）。";
    fe_too_many_rows: "A file can hold at most {max} shipments; split it into several files.", "单个文件最多 {max} 个货件，请拆分为多个文件。";
    fe_yes_or_no: "Enter yes or no.", "请填写 yes 或 no。";
    fe_service_unknown: "Use one of: standard, express, scheduled, pickup_point.", "请填写以下之一：standard、express、scheduled、pickup_point。";
    fe_area_code: "Use lower-case letters, digits and '-' (at most 40).", "请使用小写字母、数字和 '-'（最多 40 个）。";
    fe_area_empty: "Name at least one city or postcode prefix of the area.", "请至少填写该区域的一个城市或邮编前缀。";
    fe_area_taken: "Another template already serves this area code.", "已有模板使用此区域代码。";
    fe_time_zone_unknown: "Use a time zone name such as Asia/Shanghai.", "请填写时区名称，例如 Asia/Shanghai。";
    fe_time_invalid: "Enter a time as HH:MM, e.g. 09:00.", "请按 HH:MM 格式输入时间，例如 09:00。";
    fe_window_order: "A window must end after it starts.", "时段的结束时间必须晚于开始时间。";
    fe_slot_full: "This window is full. Choose another one.", "该时段已约满，请选择其他时段。";
    fe_cutoff_passed: "Changes to this window closed at its cut-off.", "该时段已过截止时间，无法再更改。";
    fe_slot_closed: "This window is closed.", "该时段已关闭。";
    fe_slot_not_in_area: "This window does not serve the address.", "该时段不服务此地址。";
    fe_slot_too_early: "The parcel cannot arrive by this window. Choose a later one.", "包裹无法在该时段前送达，请选择更晚的时段。";
    fe_not_reschedulable: "The parcel is already out for delivery or delivered; its delivery can no longer be changed.", "包裹已在派送中或已送达，无法再更改派送安排。";
    fe_changed_meanwhile: "The delivery was changed meanwhile. Reload and try again.", "派送安排刚被更改，请刷新后重试。";
    fe_proof_wrong: "That does not match the recipient's postcode or phone number.", "与收件人的邮编或电话号码不符。";
    fe_transition_illegal: "This status cannot follow the parcel's current status.", "该状态不能接在包裹当前状态之后。";
    fe_status_unknown: "Use a normalised status such as in_transit or delivered.", "请使用标准状态，例如 in_transit 或 delivered。";
    fe_not_for_carriers: "Only the shipper can cancel a shipment.", "只有寄件人可以取消货件。";
    fe_in_future: "This time is in the future.", "该时间晚于当前时间。";
    fe_date_time_invalid: "Use an RFC 3339 time such as 2026-11-25T08:30:00+08:00.", "请使用 RFC 3339 时间，例如 2026-11-25T08:30:00+08:00。";
    fe_unknown: "No such parcel.", "没有该包裹。";
    fe_capacity_below_booked: "{booked} parcels are already booked in this window; capacity cannot be lower.", "该时段已预约 {booked} 件，容量不能低于此数。";
    slot_full: "Full", "已约满";
    slot_cutoff_passed: "Booking closed", "已截止";
    slot_closed: "Closed", "不开放";
    slot_left: "{n} left", "剩 {n} 个";
    slot_change_until: "Changes until {time}", "{time} 前可更改";
    slot_day_free: "{n} open", "{n} 个可选";
    slot_day_none: "None open", "无可选";
    slot_none_in_area: "No delivery windows serve this address yet.", "该地址暂无可预约的派送时段。";
    slot_area: "Service area: {area}", "服务区域：{area}";
    slot_delivery_window: "Delivery window", "派送时段";
    slot_pickup_window: "Pickup window (optional)", "上门取件时段（可选）";
    slot_choose_delivery: "Choose when the parcel should arrive.", "请选择包裹送达的时间。";
    slot_no_pickup: "No pickup window: I will hand it over.", "不预约取件：我自行交寄。";
    slot_times_local: "Times are local to the area ({tz}).", "时间为该区域当地时间（{tz}）。";
    slot_loading: "Loading windows…", "正在加载时段…";
    wd_1: "Mon", "周一";
    wd_2: "Tue", "周二";
    wd_3: "Wed", "周三";
    wd_4: "Thu", "周四";
    wd_5: "Fri", "周五";
    wd_6: "Sat", "周六";
    wd_7: "Sun", "周日";
    ship_delivery: "Delivery", "派送";
    ship_window: "{day} {from}–{to}", "{day} {from}–{to}";
    ship_pickup_at: "Pickup window: {window}", "取件时段：{window}";
    ship_pickup_point: "Collect at: {point}", "自提点：{point}";
    ship_change_window: "Change delivery window", "更改派送时段";
    ship_window_saved: "Delivery window saved.", "派送时段已保存。";
    ship_save_window: "Save this window", "保存此时段";
    event_slot_changed: "Delivery window set to {window}", "派送时段改为 {window}";
    event_pickup_point: "To be collected at {point}", "改为自提：{point}";
    trk_title: "Track {tn}", "追踪 {tn}";
    trk_route: "{from} → {to}", "{from} → {to}";
    trk_expected: "Expected", "预计送达";
    trk_history: "History", "历史记录";
    trk_unknown: "We found no parcel with this number. Check it against your label or message.", "未找到该单号的包裹。请核对面单或通知中的单号。";
    trk_manage: "Manage delivery", "管理派送";
    trk_manage_hint: "Receiving this parcel? Enter your postcode or the last 4 digits of your phone number to reschedule it or collect it at a pickup point, and once it is delivered, to rate the delivery or return items.", "您是收件人吗？输入您的邮编或手机号后 4 位，即可改约派送时间或改为自提；签收后还可评价派送或申请退货。";
    trk_proof_reveals: "Confirm you are the recipient to see the delivery window and pickup point.", "确认您是收件人后，即可查看派送时段和自提点。";
    trk_proof: "Postcode or last 4 digits of phone", "邮编或手机号后 4 位";
    trk_continue: "Continue", "继续";
    trk_deliver_to: "Delivering to", "派送至";
    trk_cannot_change: "The delivery can no longer be changed.", "派送安排已无法更改。";
    trk_move_here: "Move delivery to this window", "改约到此时段";
    trk_moved: "Done: the delivery window is now {window}. The sender has been told.", "已完成：派送时段改为 {window}，已通知寄件人。";
    trk_pickup_points: "Or collect it at a pickup point", "或到自提点取件";
    trk_collect_here: "Collect it here instead", "改为在此自提";
    trk_offline_note: "Last updated {time}, offline. This page updates when you are back online.", "最后更新于 {time}，当前离线。恢复联网后本页会自动更新。";
    trk_pickup_chosen: "Done: collect it at {point}. The sender has been told.", "已完成：请到 {point} 取件，已通知寄件人。";
    nav_slots: "Delivery slots", "派送时段";
    slots_title: "Delivery slot templates", "派送时段模板";
    slots_intro: "Each service area has a weekly pattern: windows and their capacity, a cut-off, and how far ahead slots open. Times are the area's local time.", "每个服务区域有一套每周模板：时段及容量、截止时间、提前开放天数。时间均为该区域当地时间。";
    slots_new: "New template", "新建模板";
    slots_edit: "Edit", "编辑";
    slots_view: "Windows", "时段";
    slots_save: "Save template", "保存模板";
    slots_saved: "Template saved; windows regenerated.", "模板已保存，时段已重新生成。";
    slots_f_area: "Area code", "区域代码";
    slots_f_name: "Area name", "区域名称";
    slots_f_country: "Country (ISO code)", "国家（ISO 代码）";
    slots_f_tz: "Time zone", "时区";
    slots_f_cities: "Cities (comma separated)", "城市（逗号分隔）";
    slots_f_prefixes: "Postcode prefixes (comma separated)", "邮编前缀（逗号分隔）";
    slots_f_weekdays: "Open days", "营业日";
    slots_f_windows: "Windows, e.g. 09:00-11:00, 14:00-18:00", "时段，例如 09:00-11:00, 14:00-18:00";
    slots_f_capacity: "Parcels per window", "每个时段件数";
    slots_f_cutoff_days: "Cut-off: days before", "截止：提前天数";
    slots_f_cutoff_time: "Cut-off: time", "截止：时间";
    slots_f_days_ahead: "Days ahead slots open", "提前开放天数";
    slots_f_holidays: "Closed days (YYYY-MM-DD, comma separated)", "休息日（YYYY-MM-DD，逗号分隔）";
    slots_f_points: "Pickup points (one per line)", "自提点（每行一个）";
    slots_summary: "{windows} windows × {capacity} parcels · cut-off {days} day(s) before at {time} · {ahead} days ahead", "{windows} 个时段 × {capacity} 件 · 提前 {days} 天 {time} 截止 · 提前 {ahead} 天开放";
    slots_booked: "{booked} / {capacity} booked", "已约 {booked} / {capacity}";
    slots_close: "Close", "关闭";
    slots_reopen: "Reopen", "重新开放";
    slots_set_capacity: "Set", "设置";
    slots_done: "Done", "完成";
    note_title: "Notifications", "通知";
    note_none: "No notifications yet.", "暂无通知。";
    note_unread: "{n} unread", "{n} 条未读";
    note_mark_read: "Mark all read", "全部标为已读";
    note_booking_confirmed: "{tn} is booked.", "{tn} 已下单。";
    note_delivery_changed: "{tn}: the recipient changed the delivery. {change}", "{tn}：收件人更改了派送。{change}";
    note_out_for_delivery: "{tn} is out for delivery.", "{tn} 正在派送。";
    note_delivered: "{tn} was delivered.", "{tn} 已送达。";
    note_exception: "{tn} needs attention: {status}", "{tn} 出现异常：{status}";
    fe_url_invalid: "Enter a full address starting with https:// or http://.", "请输入以 https:// 或 http:// 开头的完整地址。";
    fe_url_not_public: "Use an address on the public internet: local and private networks cannot be reached from here.", "请使用公网地址：无法访问本地或内网地址。";
    fe_too_many: "At most {max} are allowed.", "最多允许 {max} 个。";
    fe_locale_unknown: "Choose English or Simplified Chinese.", "请选择英文或简体中文。";
    fe_kind_unknown: "Unknown message kind.", "未知的消息类型。";
    fe_not_out_for_delivery: "Courier positions are taken only while the parcel is out for delivery.", "仅在包裹派送中时接收快递员位置。";
    track_map: "Map of the route", "路线地图";
    track_map_origin: "From", "寄出地";
    track_map_destination: "To", "目的地";
    track_map_courier: "Courier", "快递员";
    track_courier_seen: "Courier last seen {time}", "快递员最新位置：{time}";
    note_delay_alert: "{tn} is running late: {cause}. New estimate: {eta}.", "{tn} 可能延误：{cause}。新的预计送达：{eta}。";
    note_delay_recovered: "{tn} is back on time. Expected: {eta}.", "{tn} 已恢复准时。预计送达：{eta}。";
    delay_cause_eta: "at its current progress it will miss the promised window", "按目前进度将错过承诺的送达时间";
    delay_cause_delayed: "the carrier reported a delay", "承运方报告了延误";
    delay_cause_delivery_failed: "the delivery attempt failed", "派送未成功";
    eta_unknown: "not yet known", "暂未确定";
    kind_booking_confirmed: "Booking confirmed", "下单确认";
    kind_delivery_changed: "Recipient changed the delivery", "收件人更改派送";
    kind_out_for_delivery: "Out for delivery", "正在派送";
    kind_delivered: "Delivered", "已送达";
    kind_exception: "Exceptions (damage, loss, return)", "异常（破损、丢失、退回）";
    kind_delay_alert: "Delay alert", "延误提醒";
    kind_delay_recovered: "Back on time", "恢复准时";
    email_greeting: "Hello,", "您好，";
    email_track_link: "Follow the parcel: {url}", "查看包裹动态：{url}";
    email_rate_link: "How did we do? Rate this delivery: {url}", "服务如何？请为本次派送评分：{url}";
    email_prefs_link: "Choose which messages you receive: {url}", "选择您要接收的消息：{url}";
    settings_title: "Notification settings", "通知设置";
    settings_lead: "Choose how each message reaches you. Email goes to every user of your account.", "选择每类消息的接收方式。邮件将发送给您账户的所有用户。";
    settings_kind: "Message", "消息";
    settings_email: "Email", "邮件";
    settings_webhook: "Webhook", "Webhook 回调";
    settings_in_app: "In the portal", "站内";
    settings_language: "Email language", "邮件语言";
    settings_save: "Save settings", "保存设置";
    settings_saved: "Settings saved.", "设置已保存。";
    settings_link: "Notification settings", "通知设置";
    webhooks_title: "Webhooks", "Webhook 回调地址";
    webhooks_lead: "We POST every message you chose for webhooks as JSON to each endpoint, signed with HMAC-SHA256 (header Parcelport-Signature: v1=hex of timestamp + \".\" + body), and retry with growing pauses until it answers 2xx. Parcelport-Event-Id stays the same on every retry.", "我们会将您选择通过 Webhook 接收的每条消息以 JSON 格式 POST 到每个地址，使用 HMAC-SHA256 签名（请求头 Parcelport-Signature: v1=对 时间戳 + \".\" + 请求体 的十六进制签名），未返回 2xx 时会逐步延长间隔重试。每次重试的 Parcelport-Event-Id 保持不变。";
    webhook_url: "Endpoint URL", "接收地址";
    webhook_add: "Add webhook", "添加 Webhook";
    webhook_secret_once: "Signing secret, shown only now: keep it with your endpoint.", "签名密钥仅显示这一次，请妥善保存在接收端。";
    webhook_delete: "Remove", "移除";
    webhooks_none: "No webhooks yet.", "暂无 Webhook。";
    webhook_deliveries: "Recent deliveries", "最近发送记录";
    webhook_no_deliveries: "Nothing sent yet.", "尚未发送。";
    delivery_sent: "Delivered", "已送达";
    delivery_pending: "Retrying", "重试中";
    delivery_failed: "Failed", "失败";
    delivery_skipped: "Not sent", "未发送";
    delivery_attempts: "{n} attempt(s)", "尝试 {n} 次";
    track_eta: "Estimated delivery", "预计送达";
    track_running_late: "Running late", "可能延误";
    slots_close_day: "Close day", "关闭当天";
    slots_reopen_day: "Reopen day", "重新开放当天";
    track_details: "Details and delivery options", "详情与派送选项";
    ship_window_is: "Delivery window: {window}", "派送时段：{window}";
    fe_cancelled: "This shipment was cancelled.", "该货件已取消。";
    fe_date_invalid: "Enter a date as YYYY-MM-DD.", "请按 YYYY-MM-DD 格式输入日期。";
    quote_several_parcels: "Several parcels or a new recipient? Book a shipment: every price is shown before you confirm.", "多个包裹或新收件人？请使用寄件流程：确认前会显示所有价格。";
    book_title: "Book a shipment", "寄件";
    book_need_sender: "Save your sender address first, then come back to book.", "请先保存寄件地址，然后再来寄件。";
    book_step_addresses: "Addresses", "地址";
    book_step_parcels: "Parcels", "包裹";
    book_step_service: "Service", "服务";
    book_step_review: "Review", "确认";
    book_progress: "Booking steps", "寄件步骤";
    book_back: "Back", "上一步";
    book_next: "Continue", "继续";
    book_new_recipient: "New recipient", "新收件人";
    book_parcel_n: "Parcel {n}", "包裹 {n}";
    book_remove_parcel: "Remove this parcel", "删除此包裹";
    book_add_parcel: "Add another parcel", "添加包裹";
    book_see_prices: "See prices", "查看价格";
    book_change: "Change", "修改";
    book_reference: "Your reference (optional)", "您的参考号（选填）";
    book_confirm: "Book and pay on account", "确认寄件（月结）";
    book_done: "Booked", "寄件成功";
    book_tracking_number: "Tracking number", "运单号";
    book_done_total: "Charged to your account: {total}", "已计入您的账户：{total}";
    book_print_label: "Print label", "打印面单";
    book_view_shipment: "View shipment", "查看货件";
    book_another: "Book another", "继续寄件";
    price_total: "Total", "合计";
    nav_book: "Ship", "寄件";
    nav_import: "Import CSV", "批量导入";
    nav_shipments: "Shipments", "我的货件";
    shipments_title: "My shipments", "我的货件";
    shipments_none: "No shipments yet. Book your first one.", "还没有货件，马上寄出第一件吧。";
    shipments_no_match: "No shipments match these filters.", "没有符合条件的货件。";
    shipments_pages: "Pages", "分页";
    shipments_first_page: "First page", "第一页";
    shipments_next_page: "Next page", "下一页";
    shipments_search: "Search", "搜索";
    shipments_search_hint: "Tracking number, recipient, city or reference", "运单号、收件人、城市或参考号";
    shipments_filters: "Filters and sorting", "筛选与排序";
    shipments_status: "Status", "状态";
    shipments_any: "Any", "全部";
    shipments_service: "Service", "服务";
    shipments_from: "Booked from", "下单日期从";
    shipments_to: "Booked until", "下单日期至";
    shipments_sort: "Sort", "排序";
    shipments_newest: "Newest first", "最新在前";
    shipments_oldest: "Oldest first", "最早在前";
    shipments_apply: "Search", "搜索";
    shipments_clear: "Clear", "清除";
    shipment_title: "Shipment", "货件详情";
    shipment_back: "← All shipments", "← 全部货件";
    shipment_cancel: "Cancel shipment", "取消寄件";
    shipment_cancel_confirm: "Cancel this shipment? This cannot be undone.", "确定取消该货件吗？此操作无法撤销。";
    shipment_cancel_yes: "Yes, cancel it", "确定取消";
    shipment_cancel_no: "Keep it", "保留";
    shipment_booked_on: "Booked on", "下单日期";
    shipment_promised: "Promised delivery", "承诺送达";
    shipment_window: "{from} to {to}", "{from} 至 {to}";
    shipment_reference: "Reference", "参考号";
    shipment_declared: "Declared value", "申报价值";
    shipment_size: "Size", "尺寸";
    shipment_price: "Price", "价格";
    shipment_history: "History", "物流记录";
    import_title: "Import shipments from CSV", "CSV 批量寄件";
    import_lead: "Book up to 10,000 shipments at once. Check the preview, then book the valid rows.", "一次最多导入 10,000 个货件。先检查预览，再寄出有效的行。";
    import_choose: "CSV file", "CSV 文件";
    import_hint: "UTF-8 (with or without BOM) or GBK, one parcel per row, columns as in the template.", "UTF-8（带或不带 BOM）或 GBK 编码，每行一个包裹，列与模板一致。";
    import_template: "Download the template", "下载模板";
    import_reading: "Reading the file…", "正在读取文件…";
    import_preview: "Preview", "预览";
    import_summary: "{valid} rows ready to book, {invalid} with errors.", "{valid} 行可寄件，{invalid} 行有错误。";
    import_read_as_gbk: "(read as GBK)", "（按 GBK 读取）";
    import_errors: "Rows with errors (not booked)", "有错误的行（不会寄件）";
    import_line: "Line", "行";
    import_column: "Column", "列";
    import_problem: "Problem", "问题";
    import_more_errors: "…and {n} more rows with errors.", "……另有 {n} 行有错误。";
    import_fix_hint: "Fix these rows in your file and import it again.", "请在文件中修改这些行后重新导入。";
    import_ready: "Ready to book", "可寄件";
    import_total: "Total for the valid rows: {total}", "有效行合计：{total}";
    import_book: "Book {n} shipments", "寄出 {n} 个货件";
    import_resume: "Resume booking", "继续寄件";
    import_progress: "{done} of {total} processed", "已处理 {done} / {total}";
    import_done: "{n} shipments booked.", "已寄出 {n} 个货件。";
    status_created: "Booked", "已下单";
    status_picked_up: "Picked up", "已揽收";
    status_in_transit: "In transit", "运输中";
    status_at_hub: "At hub", "到达分拨中心";
    status_out_for_delivery: "Out for delivery", "派送中";
    status_delivered: "Delivered", "已签收";
    status_delayed: "Delayed", "延误";
    status_delivery_failed: "Delivery failed", "派送失败";
    status_damaged: "Damaged", "破损";
    status_lost: "Lost", "丢失";
    status_returned_to_sender: "Returned to sender", "已退回寄件人";
    status_cancelled: "Cancelled", "已取消";
    fe_link_expired: "This link has expired or is not valid. Sign in to continue.", "此链接已过期或无效，请登录后继续。";
    fe_not_delivered: "This shipment has not been delivered yet.", "该货件尚未签收。";
    fe_rating_locked: "Ratings can be changed for 7 days; this one can no longer be changed.", "评价仅可在 7 天内修改，此评价已无法修改。";
    fe_return_window_closed: "The return window for this shipment has closed.", "该货件的退货期限已过。";
    fe_already_returned: "These items are already in a return.", "这些物品已在退货中。";
    fe_nothing_chosen: "Choose at least one item.", "请至少选择一件物品。";
    fe_file_type: "Only JPEG, PNG or WebP images are accepted.", "仅接受 JPEG、PNG 或 WebP 图片。";
    tag_on_time: "On time", "准时";
    tag_courteous_courier: "Courteous courier", "快递员礼貌";
    tag_good_packaging: "Good packaging", "包装完好";
    tag_easy_tracking: "Easy to track", "查件方便";
    tag_late: "Late", "迟到";
    tag_damaged: "Damaged", "破损";
    tag_rude: "Rude", "态度差";
    tag_wrong_place: "Left in the wrong place", "放错地方";
    reason_damaged: "Damaged", "物品破损";
    reason_wrong_item: "Wrong item", "发错货";
    reason_not_as_described: "Not as described", "与描述不符";
    reason_no_longer_needed: "No longer needed", "不再需要";
    reason_other: "Other", "其他原因";
    rs_requested: "Requested", "已申请";
    rs_approved: "Approved", "已批准";
    rs_rejected: "Rejected", "已拒绝";
    rs_label_issued: "Label issued", "已出退货面单";
    rs_in_transit: "On its way back", "退回途中";
    rs_received: "Received", "已收到退货";
    rs_refunded: "Refunded", "已退款";
    rs_closed: "Closed", "已关闭";
    kind_return_update: "Return updates", "退货进度";
    kind_complaint_update: "Complaint updates", "投诉进度";
    note_return_update: "Return #{id} of {tn}: {step}.", "{tn} 的退货 #{id}：{step}。";
    note_complaint_update: "Complaint #{id}: {step}.", "投诉 #{id}：{step}。";
    cstep_received: "received, we will answer soon", "已受理，我们会尽快回复";
    cstep_agent_reply: "new answer from our care team", "客服有新回复";
    cstep_auto_closed: "closed after 7 days without an answer", "7 天未回复，已自动关闭";
    cat_delay: "Delay", "延误";
    cat_damage: "Damage", "破损";
    cat_loss: "Loss", "丢失";
    cat_wrong_delivery: "Wrong delivery", "错投";
    cat_courier_conduct: "Courier conduct", "快递员服务态度";
    cat_billing: "Billing", "费用问题";
    cat_other: "Other", "其他";
    cs_open: "Open", "待处理";
    cs_in_progress: "In progress", "处理中";
    cs_resolved: "Resolved", "已解决";
    cs_closed: "Closed", "已关闭";
    cs_reopened: "Reopened", "已重新打开";
    priority_high: "High priority", "高优先级";
    priority_normal: "Normal priority", "普通优先级";
    email_open_link: "Open it in the portal: {url}", "在门户中查看：{url}";
    rate_title: "Rate your delivery", "评价本次派送";
    rate_delivered_on: "delivered", "签收于";
    rate_locked: "This rating can no longer be changed (7 days have passed).", "此评价已超过 7 天，无法再修改。";
    rate_not_yet: "You can rate the delivery once the parcel has been delivered.", "包裹签收后即可评价。";
    rate_csat: "How satisfied are you with the delivery?", "您对本次派送满意吗？";
    rate_stars: "{n} of 5 stars", "{n} 星（满分 5 星）";
    rate_tags: "What stood out? (optional)", "有哪些印象？（可选）";
    rate_comment: "Comment (optional)", "留言（可选）";
    rate_nps: "How likely are you to recommend us to a friend or colleague? (optional)", "您向朋友或同事推荐我们的可能性有多大？（可选）";
    rate_nps_low: "0 = not at all", "0 = 完全不会";
    rate_nps_high: "10 = extremely likely", "10 = 非常可能";
    rate_send: "Send rating", "提交评价";
    rate_update: "Update rating", "更新评价";
    rate_thanks: "Thank you for your rating.", "感谢您的评价。";
    rate_sorry: "We are sorry the delivery fell short. Tell us what went wrong and we will put it right.", "很抱歉本次派送未能让您满意。请告诉我们问题所在，我们会尽快处理。";
    rate_open_complaint: "Open a complaint", "提交投诉";
    returns_title: "Returns", "退货";
    returns_lead: "Start a return from a delivered shipment's page, then follow it here.", "在已签收货件的页面发起退货，并在此查看进度。";
    returns_none: "No returns yet.", "暂无退货。";
    return_number: "Return #{id}", "退货 #{id}";
    return_new_title: "Return items", "申请退货";
    return_window_until: "Returns are possible until {date}.", "可在 {date} 之前申请退货。";
    return_items: "Items to return", "退回的物品";
    return_item_in_return: "Already in a return", "已在退货中";
    return_reason: "Reason", "退货原因";
    return_note: "Note", "说明";
    return_photos: "Photos", "照片";
    return_photos_hint: "Up to 5 photos, JPEG, PNG or WebP, at most 10 MB each.", "最多 5 张照片，JPEG、PNG 或 WebP 格式，每张不超过 10 MB。";
    return_method: "How it goes back", "退回方式";
    return_method_pickup: "Courier pickup", "快递员上门取件";
    return_method_drop_off: "Drop off at a point", "送至网点";
    return_point: "Drop-off point", "投递网点";
    return_submit: "Request the return", "提交退货申请";
    return_of: "Shipment", "原货件";
    return_refund: "Refund", "退款";
    return_refundable: "{amount} once received", "收到退货后退款 {amount}";
    return_decision_note: "Care team's note", "客服备注";
    return_tracking: "Return tracking number:", "退货运单号：";
    return_label: "Download the return label (PDF)", "下载退货面单（PDF）";
    return_photo_alt: "Photo of the returned item", "退货物品照片";
    return_add_photo: "Add a photo", "添加照片";
    return_steps: "Steps", "进度";
    return_staff_title: "Care team", "客服处理";
    return_decision_due: "decision due {time}", "应于 {time} 前处理";
    return_staff_note: "Note to the customer (required to reject)", "给客户的备注（拒绝时必填）";
    return_approve: "Approve and issue the label", "批准并出具面单";
    return_reject: "Reject", "拒绝";
    return_mark_refunded: "Mark refunded ({amount})", "标记已退款（{amount}）";
    return_close_no_refund: "Close without refund", "关闭（不退款）";
    complaints_title: "Complaints", "投诉";
    complaints_none: "No complaints. We hope it stays that way.", "暂无投诉。";
    complaint_number: "Complaint #{id}", "投诉 #{id}";
    complaint_new_title: "Open a complaint", "提交投诉";
    complaint_new_lead: "Tell us what went wrong. We answer within the time your service level promises.", "请告诉我们问题所在，我们会在服务承诺的时间内回复。";
    complaint_shipment: "Tracking number", "运单号";
    complaint_category: "What is it about?", "投诉类型";
    complaint_description: "What happened?", "具体情况";
    complaint_attachments: "Attachments (photos)", "附件（照片）";
    complaint_submit: "Send the complaint", "提交投诉";
    complaint_first_due: "First answer due", "首次回复时限";
    complaint_answered_at: "answered {time}", "已于 {time} 回复";
    complaint_resolution_due: "Resolution due", "解决时限";
    complaint_assignee: "Handled by", "处理人";
    complaint_follow_up: "Your satisfaction with the resolution", "您对处理结果的满意度";
    complaint_follow_up_question: "How satisfied are you with how we resolved it?", "您对本次投诉的处理结果满意吗？";
    complaint_thread: "Messages", "沟通记录";
    complaint_agent: "Care team", "客服";
    complaint_you: "Customer", "客户";
    complaint_system: "Status", "状态";
    complaint_message: "Message", "消息";
    complaint_reopen_reason: "Not resolved? Tell us why", "问题未解决？请说明原因";
    complaint_send: "Send", "发送";
    complaint_assign: "Assign to me", "分配给我";
    complaint_resolve: "Resolve (message as resolution note)", "标记已解决（消息作为处理说明）";
    complaint_confirm: "Confirm it is resolved", "确认已解决";
    complaint_answer: "Send my answer", "提交评价";
    complaint_reopen: "Reopen", "重新打开";
    queue_title: "Care queues", "客服工作队列";
    queue_returns: "Returns to decide or refund", "待审批或退款的退货";
    queue_complaints: "Complaints to work", "待处理的投诉";
    queue_overdue: "Overdue since", "已超时，时限";
    queue_overdue_count: "Overdue", "已超时";
    queue_due: "Due", "时限";
    complaint_customer: "Customer", "客户";
    complaint_attachment_alt: "Attachment to the complaint", "投诉附件";
    complaint_add_attachment: "Add a photo", "添加照片";
    tier_vip: "VIP", "VIP 客户";
    tier_key: "Key account", "重点客户";
    tier_at_risk: "At risk", "流失风险客户";
    tier_new: "New customer", "新客户";
    tier_regular: "Regular", "普通客户";
    kpi_on_time: "On-time delivery", "准时送达率";
    kpi_order_accuracy: "Order accuracy", "订单准确率";
    kpi_damage_rate: "Damage rate", "破损率";
    kpi_complaint_rate: "Complaint rate", "投诉率";
    kpi_exception_rate: "Exception rate", "异常率";
    kpi_resolution_time: "Resolution time (mean)", "平均解决时长";
    kpi_resolution_within_sla: "Resolved within SLA", "SLA 内解决率";
    kpi_csat: "CSAT (4-5 stars)", "满意度（4-5 星）";
    kpi_csat_mean: "Mean rating", "平均评分";
    kpi_nps: "NPS", "净推荐值";
    drill_late: "Late deliveries", "延误送达的货件";
    drill_wrong_delivery: "Wrong deliveries", "错送的货件";
    drill_damaged: "Damaged shipments", "破损的货件";
    drill_complained: "Shipments with a complaint", "被投诉的货件";
    drill_exceptions: "Shipments with an exception", "出现异常的货件";
    drill_slowest: "Complaints, slowest resolved first", "投诉（按解决时长，最慢在前）";
    drill_over_sla: "Complaints resolved after their SLA", "超出 SLA 解决的投诉";
    drill_low_ratings: "Ratings of 3 stars or less", "3 星及以下的评价";
    drill_detractors: "Detractors (NPS 0-6)", "贬损者（NPS 0-6）";
    nav_kpis: "KPIs", "指标";
    nav_retention: "Retention", "客户挽留";
    kpis_title: "Service and satisfaction KPIs", "服务与满意度指标";
    kpi_period: "Period", "时间范围";
    kpi_last_7: "Last 7 days", "最近 7 天";
    kpi_last_30: "Last 30 days", "最近 30 天";
    kpi_last_90: "Last 90 days", "最近 90 天";
    kpi_last_365: "Last 12 months", "最近 12 个月";
    kpi_from: "From (overrides the period)", "开始日期（优先于时间范围）";
    kpi_to: "To", "结束日期";
    kpi_tier: "Tier", "客户等级";
    kpi_all: "All", "全部";
    kpi_service: "Service", "服务类型";
    kpi_area: "Destination city", "目的城市";
    kpi_area_hint: "e.g. Beijing", "例如 Beijing";
    kpi_apply: "Show", "查看";
    kpi_reset: "Reset", "重置";
    kpi_period_heading: "{from} to {to}, compared with {prev_from} to {prev_to}", "{from} 至 {to}，对比 {prev_from} 至 {prev_to}";
    kpi_no_data: "No data", "暂无数据";
    kpi_hours: "{n} h", "{n} 小时";
    kpi_points: "{n} pts", "{n} 个百分点";
    kpi_better: "better", "改善";
    kpi_worse: "worse", "变差";
    kpi_same: "unchanged", "持平";
    kpi_no_comparison: "nothing to compare with", "无可比数据";
    kpi_previous: "before:", "上期：";
    kpi_by_industry: "By industry", "按行业";
    kpi_measure: "Measure", "指标";
    kpi_resolved_counts: "{n} resolved · median {median} · p90 {p90}", "已解决 {n} 件 · 中位数 {median} · P90 {p90}";
    drill_promised: "promised by {date}", "承诺 {date} 前送达";
    drill_back: "Back to the KPIs", "返回指标";
    drill_csv: "Download CSV", "下载 CSV";
    drill_total: "{n} in all", "共 {n} 条";
    drill_none: "Nothing here in this period.", "该时间段内没有记录。";
    drill_when: "When", "时间";
    drill_item: "Shipment or complaint", "货件或投诉";
    drill_detail: "Why it counts", "计入原因";
    drill_prev: "Previous page", "上一页";
    drill_next: "Next page", "下一页";
    segments_title: "Segments and tiers", "客户分层";
    segments_lead: "Every customer's tier comes from its own last 12 months by the rules below, recomputed every day.", "每位客户的等级均依据其最近 12 个月的数据按下列规则计算，每日更新。";
    segments_sizes: "Customers per tier", "各等级客户数";
    segments_moves: "Moves in the last {days} days", "最近 {days} 天的等级变化";
    segments_no_moves: "No changes yet.", "暂无变化。";
    segments_recompute: "Recompute every tier now", "立即重新计算全部等级";
    segments_recomputed: "{n} customers assessed, {changed} changed tier, {retention} new retention items.", "已评估 {n} 位客户，{changed} 位等级变化，新增 {retention} 条挽留任务。";
    segments_rules: "The rules", "分层规则";
    segments_last_run: "Last computed:", "最近计算：";
    rules_scores: "Scores over the last 12 months (1 to 5)", "最近 12 个月的评分（1-5 分）";
    rules_order: "Tiers, checked in this order", "等级判定顺序";
    rules_recency_bands: "days since the last shipment {bands} score 2 to 5", "距上次寄件天数 {bands} 分别得 2-5 分";
    rules_frequency_bands: "shipments {bands} score 2 to 5", "寄件数 {bands} 分别得 2-5 分";
    rules_monetary_bands: "paid {bands} scores 2 to 5", "消费金额 {bands} 分别得 2-5 分";
    rules_at_risk_value: "At risk applies to customers of value: a monetary score of at least {m}.", "流失风险仅适用于有价值的客户：消费评分至少 {m} 分。";
    rule_new_recent: "New: first shipment fewer than {days} days ago.", "新客户：首次寄件不足 {days} 天。";
    rule_new_few: "New: fewer than {n} shipments so far.", "新客户：累计寄件少于 {n} 件。";
    rule_at_risk_spend: "At risk: spend in the last {days} days fell by more than {pct}% against the {days} days before.", "流失风险：最近 {days} 天的消费比之前 {days} 天下降超过 {pct}%。";
    rule_at_risk_gap: "At risk: no shipment for more than {factor} times the usual gap between shipments (and at least {days} days).", "流失风险：未寄件时间超过平时间隔的 {factor} 倍（且至少 {days} 天）。";
    rule_at_risk_detractor: "At risk: a detractor answer (NPS 0-6 or 1-2 stars) in the last {days} days.", "流失风险：最近 {days} 天内给出过贬损评价（NPS 0-6 或 1-2 星）。";
    rule_scores: "{tier}: recency at least {r}, frequency at least {f} and monetary at least {m}.", "{tier}：最近度至少 {r} 分、频次至少 {f} 分、消费至少 {m} 分。";
    rule_regular: "Regular: none of the rules above.", "普通客户：不符合以上任何规则。";
    rule_short_spend: "Spend falling", "消费下降";
    rule_short_gap: "Silent for too long", "长时间未寄件";
    rule_short_detractor: "Unhappy answer", "不满意评价";
    rule_short_scores: "Scores", "评分达标";
    score_recency: "Recency", "最近度";
    score_frequency: "Frequency", "频次";
    score_monetary: "Monetary", "消费";
    score_trend: "Spend, 90 days before → last 90", "消费（前 90 天 → 最近 90 天）";
    score_usual_gap: "Usual days between shipments", "平均寄件间隔（天）";
    score_return_rate: "Return rate", "退货率";
    score_latest_nps: "Latest NPS answer", "最近一次 NPS";
    score_days_ago: "{n} days ago", "{n} 天前";
    score_shipments: "{n} shipments", "{n} 件";
    retention_title: "Retention queue", "客户挽留";
    retention_lead: "VIP and key customers whose tier fell to at risk. Reach out, record how it went, and the item closes.", "等级降为流失风险的 VIP 和重点客户。请联系客户并记录结果，记录后任务关闭。";
    retention_none: "Nobody to call right now.", "目前没有需要联系的客户。";
    retention_opened: "Since", "开始于";
    retention_outcome: "Outcome", "结果";
    retention_note: "What was said and agreed", "沟通内容与约定";
    retention_record: "Record outreach and close", "记录并关闭";
    retention_open: "Open", "待处理";
    cust_search: "Search", "搜索";
    cust_search_hint: "Name, company, email or tracking number", "姓名、公司、邮箱或运单号";
    cust_search_button: "Search", "搜索";
    cust_at_risk_only: "At risk only", "仅显示流失风险客户";
    cust_account_manager: "Account manager", "专属客户经理";
    cust_assign: "Assign", "指派";
    cust_tier_heading: "Tier and why", "等级及原因";
    cust_why: "Why:", "原因：";
    cust_not_assessed: "Not assessed yet: tiers are computed daily.", "尚未评估：等级每日计算。";
    cust_people: "People", "联系人";
    cust_kpis: "This customer against everyone, {from} to {to}", "该客户与全部客户对比（{from} 至 {to}）";
    cust_this_customer: "This customer", "该客户";
    cust_all_customers: "All customers", "全部客户";
    cust_history: "Tier history", "等级变化记录";
    cust_notes: "Notes", "备注";
    cust_note_label: "Add to the customer's file", "添加到客户档案";
    cust_note_add: "Add note", "添加备注";
    cust_timeline: "Timeline", "时间线";
    tl_shipment: "Shipment", "货件";
    tl_exception: "Exception", "异常";
    tl_notification: "Notification", "通知";
    tl_rating: "Rating", "评价";
    tl_rating_detail: "stars/NPS {scores}", "星级/NPS {scores}";
    tl_return: "Return", "退货";
    tl_complaint: "Complaint", "投诉";
    tl_note: "Note", "备注";
    tl_retention: "Retention", "挽留";
    tl_tier_change: "Tier", "等级";
    my_account_manager: "Your account manager", "您的专属客户经理";
    my_account_manager_lead: "Your first contact for anything about your shipments.", "关于货件的任何问题，请首先联系您的客户经理。";
    outcome_retained: "Retained", "已挽留";
    outcome_follow_up: "Follow up later", "稍后跟进";
    outcome_no_answer: "No answer", "未联系上";
    outcome_lost: "Lost", "已流失";
}

/// The localised name of a country offered in forms, or its code.
pub fn country_name<'a>(t: &Texts, code: &'a str) -> &'a str {
    match code {
        "CN" => t.country_cn,
        "HK" => t.country_hk,
        "SG" => t.country_sg,
        "JP" => t.country_jp,
        "KR" => t.country_kr,
        "US" => t.country_us,
        "CA" => t.country_ca,
        "GB" => t.country_gb,
        "DE" => t.country_de,
        "FR" => t.country_fr,
        "NL" => t.country_nl,
        "AU" => t.country_au,
        _ => code,
    }
}

/// Replaces `{name}` placeholders; the templates above are the only inputs.
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// The locale of the page, shared by every component through context.
#[derive(Clone, Copy)]
pub struct I18n {
    pub locale: RwSignal<Locale>,
}

impl I18n {
    pub fn get(&self) -> &'static Texts {
        self.locale.get().texts()
    }
}

pub fn use_i18n() -> I18n {
    expect_context::<I18n>()
}

/// Reactive text: `t!(i18n, key)` re-renders when the language is switched.
#[macro_export]
macro_rules! t {
    ($i18n:expr, $key:ident) => {{
        let i18n = $i18n;
        move || i18n.get().$key
    }};
}

/// The locale the page starts in, read on the server from the request and in the browser from
/// `<html lang>` (which the server wrote), so hydration sees the same text.
pub fn initial_locale() -> Locale {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .map(|parts| locale_from_headers(&parts.headers))
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        #[cfg(feature = "hydrate")]
        {
            web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.document_element())
                .and_then(|e| e.get_attribute("lang"))
                .and_then(|tag| Locale::from_tag(&tag))
                .unwrap_or_default()
        }
        #[cfg(not(feature = "hydrate"))]
        {
            Locale::default()
        }
    }
}

/// Cookie first (an explicit choice), then the browser's preference.
pub fn locale_from_headers(headers: &http::HeaderMap) -> Locale {
    let from_cookie = headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == LOCALE_COOKIE)
        .and_then(|(_, v)| Locale::from_tag(v));
    from_cookie
        .or_else(|| {
            headers
                .get(http::header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Locale::from_accept_language)
        })
        .unwrap_or_default()
}

/// The cookie remembering a language for a year, written by the page's script or by the
/// server (the language form without scripts).
pub fn locale_cookie(locale: Locale) -> String {
    format!(
        "{LOCALE_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        locale.tag()
    )
}

/// Remembers the choice for a year; read by the server on the next request.
pub fn remember_locale(locale: Locale) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(doc) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok())
        {
            let _ = doc.set_cookie(&locale_cookie(locale));
            if let Some(root) = doc.document_element() {
                let _ = root.set_attribute("lang", locale.tag());
            }
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = locale;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_prefers_highest_quality_supported_tag() {
        assert_eq!(
            Locale::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"),
            Some(Locale::ZhCn)
        );
        assert_eq!(
            Locale::from_accept_language("fr-FR,en;q=0.5,zh;q=0.4"),
            Some(Locale::En)
        );
        assert_eq!(
            Locale::from_accept_language("en;q=0.3, zh-TW;q=0.7"),
            Some(Locale::ZhCn)
        );
        assert_eq!(Locale::from_accept_language("fr, de"), None);
        assert_eq!(Locale::from_accept_language("zh;q=0, en"), Some(Locale::En));
    }

    #[test]
    fn cookie_choice_beats_browser_preference() {
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::ACCEPT_LANGUAGE, "en-GB".parse().unwrap());
        headers.insert(http::header::COOKIE, "a=1; pp_lang=zh-CN".parse().unwrap());
        assert_eq!(locale_from_headers(&headers), Locale::ZhCn);
        headers.remove(http::header::COOKIE);
        assert_eq!(locale_from_headers(&headers), Locale::En);
    }

    #[test]
    fn every_string_is_translated_and_placeholders_match() {
        for (key, en, zh) in all_pairs() {
            assert!(
                !en.trim().is_empty() && !zh.trim().is_empty(),
                "{key} is empty"
            );
            let holes = |s: &str| {
                let mut v: Vec<String> = s
                    .split('{')
                    .skip(1)
                    .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_string()))
                    .collect();
                v.sort();
                v
            };
            assert_eq!(holes(en), holes(zh), "placeholders differ in {key}");
            // Formats without words look the same in both languages.
            if !["app_name", "ship_window", "trk_route"].contains(&key) {
                assert!(
                    zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                    "{key} has no Chinese text"
                );
            }
        }
    }

    #[test]
    fn fill_replaces_named_placeholders() {
        assert_eq!(
            fill(EN.dashboard_welcome, &[("name", "Ada")]),
            "Welcome, Ada"
        );
    }
}
