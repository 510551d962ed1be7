namespace Gateway.Seed;

/// <summary>The languages generated mail is written in; each has its own names, subjects and sentences.</summary>
internal enum Language
{
    English,
    French,
    German,
    Spanish,
    Russian,
    Japanese,
    Chinese,
}

/// <summary>A first or last name as displayed, and an ASCII spelling for the address's local part.</summary>
internal readonly record struct Name(string Display, string Ascii);

/// <summary>Word lists the generator draws from. Fixed data: the same seed gives the same mail.</summary>
internal static class SampleData
{
    public static readonly Language[] LanguageWeights =
    [
        Language.English, Language.English, Language.English, Language.English, Language.English,
        Language.English, Language.English, Language.English, Language.English, Language.English,
        Language.French, Language.French, Language.German, Language.German, Language.Spanish,
        Language.Russian, Language.Russian, Language.Japanese, Language.Chinese, Language.Chinese,
    ];

    public static Name[] FirstNames(Language language) => language switch
    {
        Language.French => [new("Amélie", "amelie"), new("François", "francois"), new("Hélène", "helene"), new("Jérôme", "jerome"), new("Céline", "celine"), new("Noël", "noel")],
        Language.German => [new("Jürgen", "juergen"), new("Björn", "bjoern"), new("Käthe", "kaethe"), new("Jörg", "joerg"), new("Sören", "soeren"), new("Lena", "lena")],
        Language.Spanish => [new("José", "jose"), new("María", "maria"), new("Íñigo", "inigo"), new("Lucía", "lucia"), new("Begoña", "begona"), new("Raúl", "raul")],
        Language.Russian => [new("Иван", "ivan"), new("Ольга", "olga"), new("Дмитрий", "dmitry"), new("Наталья", "natalia"), new("Сергей", "sergey"), new("Анна", "anna")],
        Language.Japanese => [new("太郎", "taro"), new("花子", "hanako"), new("健", "ken"), new("さくら", "sakura"), new("翔太", "shota"), new("美咲", "misaki")],
        Language.Chinese => [new("伟", "wei"), new("芳", "fang"), new("小龙", "xiaolong"), new("丽娜", "lina"), new("建国", "jianguo"), new("静", "jing")],
        _ => [new("Alice", "alice"), new("Bob", "bob"), new("Carol", "carol"), new("David", "david"), new("Emma", "emma"), new("Frank", "frank"),
              new("Grace", "grace"), new("Henry", "henry"), new("Isabel", "isabel"), new("Jack", "jack"), new("Olivia", "olivia"), new("Liam", "liam")],
    };

    public static Name[] LastNames(Language language) => language switch
    {
        Language.French => [new("Lefèvre", "lefevre"), new("Dupré", "dupre"), new("Bérubé", "berube"), new("Girard", "girard"), new("Crémieux", "cremieux")],
        Language.German => [new("Müller", "mueller"), new("Schäfer", "schaefer"), new("Groß", "gross"), new("Köhler", "koehler"), new("Weiß", "weiss")],
        Language.Spanish => [new("Peña", "pena"), new("Muñoz", "munoz"), new("García", "garcia"), new("Ibáñez", "ibanez"), new("López", "lopez")],
        Language.Russian => [new("Иванов", "ivanov"), new("Смирнова", "smirnova"), new("Кузнецов", "kuznetsov"), new("Попова", "popova"), new("Соколов", "sokolov")],
        Language.Japanese => [new("山田", "yamada"), new("佐藤", "sato"), new("鈴木", "suzuki"), new("高橋", "takahashi"), new("田中", "tanaka")],
        Language.Chinese => [new("王", "wang"), new("李", "li"), new("张", "zhang"), new("刘", "liu"), new("陈", "chen")],
        _ => [new("Smith", "smith"), new("Johnson", "johnson"), new("O'Brien", "obrien"), new("Williams", "williams"), new("Brown", "brown"),
              new("Taylor", "taylor"), new("Nguyen", "nguyen"), new("Garcia", "garcia"), new("Doe, Jr.", "doe")],
    };

    public static string[] Domains(Language language) => language switch
    {
        Language.French => ["exemple.fr", "societe.example.fr", "mairie.example.fr"],
        Language.German => ["beispiel.de", "firma.example.de", "uni.example.de"],
        Language.Spanish => ["ejemplo.es", "empresa.example.es"],
        Language.Russian => ["primer.example.ru", "kompaniya.example.ru"],
        Language.Japanese => ["rei.example.jp", "kaisha.example.co.jp"],
        Language.Chinese => ["lizi.example.cn", "gongsi.example.com.cn"],
        _ => ["example.com", "example.org", "example.net", "corp.example.com", "mail.example.io", "lists.example.org"],
    };

    public static readonly string[] Projects =
    [
        "Apollo", "Borealis", "Cedar", "Delta", "Everest", "Falcon", "Gemini", "Harbor", "Iris", "Juniper", "Kestrel", "Lighthouse",
    ];

    public static string[] SubjectTemplates(Language language) => language switch
    {
        Language.French =>
        [
            "Réunion de l’équipe – {project}", "Compte rendu de la réunion du {day}", "Facture n° {n} à régler",
            "Question rapide à propos de {project}", "Déjeuner vendredi ? Café à côté du théâtre", "Mise à jour du planning « {project} »",
        ],
        Language.German =>
        [
            "Überprüfung der Änderungen für {project}", "Besprechung am {day} – Tagesordnung", "Rechnung Nr. {n}",
            "Kurze Frage zu {project}", "Grüße aus München", "Änderungswünsche zum Entwurf (Größe, Schriftart)",
        ],
        Language.Spanish =>
        [
            "¿Podemos hablar mañana sobre {project}?", "Reunión del {day}", "Factura nº {n}",
            "Actualización del proyecto {project}", "¡Felicidades por el lanzamiento!", "Revisión del año: señales de éxito",
        ],
        Language.Russian =>
        [
            "Отчёт по проекту {project}", "Встреча в четверг", "Счёт № {n} на оплату",
            "Вопрос по {project}", "Поздравляю с запуском!", "План работ на следующую неделю",
        ],
        Language.Japanese =>
        [
            "会議の議事録（{project}）", "{day}の打ち合わせについて", "請求書 No.{n} のご送付",
            "{project} の進捗報告", "お疲れ様です：来週の予定", "ご確認のお願い",
        ],
        Language.Chinese =>
        [
            "关于{project}的季度报告", "{day}会议纪要", "发票 {n} 请查收",
            "{project} 项目进展", "周五聚餐安排", "请审阅附件中的方案",
        ],
        _ =>
        [
            "Quarterly report for {project}", "Meeting notes: {project} sync ({day})", "Invoice #{n}",
            "Quick question about {project}", "Lunch on Friday?", "Your order {n} has shipped",
            "Action required: review the {project} budget", "Draft agenda for {day}", "Welcome to the {project} team",
            "Build #{n} failed on main", "Photos from the offsite", "Re-scheduling our 1:1",
        ],
    };

    public static readonly string[] Emoji = ["🎉", "🚀", "☕", "📎", "✅", "🔥", "👍", "📅", "❤️", "🙂"];

    public static string[] Sentences(Language language) => language switch
    {
        Language.French =>
        [
            "Merci pour votre retour rapide.", "Nous avons terminé la première étape du déploiement.",
            "Pourriez-vous vérifier les chiffres avant vendredi ?", "Le comité a validé le budget révisé.",
            "Je reste à votre disposition pour toute question.", "La réunion est déplacée à 14 h à cause d’un imprévu.",
            "Voici le résumé des décisions prises hier.", "Ça avance bien, même si le calendrier reste serré.",
        ],
        Language.German =>
        [
            "Vielen Dank für die schnelle Rückmeldung.", "Die Änderungen sind jetzt auf dem Testsystem verfügbar.",
            "Könnten Sie die Zahlen bis Freitag prüfen?", "Der Ausschuss hat das überarbeitete Budget genehmigt.",
            "Bei Fragen stehe ich gerne zur Verfügung.", "Das Treffen wurde auf 14 Uhr verschoben.",
            "Anbei die Zusammenfassung der gestrigen Besprechung.", "Die Größe der Datei übersteigt leider das Maß.",
        ],
        Language.Spanish =>
        [
            "Gracias por tu respuesta tan rápida.", "Ya terminamos la primera fase del despliegue.",
            "¿Podrías revisar las cifras antes del viernes?", "El comité aprobó el presupuesto revisado.",
            "Quedo a tu disposición para cualquier duda.", "La reunión se pasa a las dos de la tarde.",
            "Aquí está el resumen de lo que decidimos ayer.", "El niño ganó el concurso de diseño, ¡qué ilusión!",
        ],
        Language.Russian =>
        [
            "Спасибо за быстрый ответ.", "Мы завершили первый этап развёртывания.",
            "Не могли бы вы проверить цифры до пятницы?", "Комитет утвердил пересмотренный бюджет.",
            "Если будут вопросы, пишите.", "Встреча перенесена на два часа дня.",
            "Ниже краткое резюме вчерашнего обсуждения.", "Сроки сжатые, но мы успеваем.",
        ],
        Language.Japanese =>
        [
            "いつもお世話になっております。", "早速のご返信ありがとうございます。", "第一段階の導入が完了しました。",
            "金曜日までに数字をご確認いただけますでしょうか。", "委員会で修正予算が承認されました。",
            "ご不明な点がございましたらお知らせください。", "会議は午後二時に変更になりました。", "引き続きよろしくお願いいたします。",
        ],
        Language.Chinese =>
        [
            "感谢您的快速回复。", "我们已经完成了第一阶段的部署。", "能否在周五之前核对一下这些数字？",
            "委员会已批准修订后的预算。", "如有任何问题，请随时联系我。", "会议改到下午两点。",
            "以下是昨天讨论的要点。", "时间比较紧，但进展顺利。",
        ],
        _ =>
        [
            "Thanks for the quick turnaround on this.", "We finished the first phase of the rollout yesterday.",
            "Could you double-check the numbers before Friday?", "The committee approved the revised budget.",
            "Let me know if you have any questions.", "The meeting moved to 2 pm because of a conflict.",
            "Here is a short summary of what we decided.", "The schedule is tight, but we are on track.",
            "I attached the latest version for reference.", "Please ignore the previous email, it had a typo.",
            "Looping in the rest of the team for visibility.", "We should revisit this after the release.",
        ],
    };

    public static string Greeting(Language language, string firstName) => language switch
    {
        Language.French => $"Bonjour {firstName},",
        Language.German => $"Hallo {firstName},",
        Language.Spanish => $"Hola {firstName}:",
        Language.Russian => $"Здравствуйте, {firstName}!",
        Language.Japanese => $"{firstName}様",
        Language.Chinese => $"{firstName}，你好：",
        _ => $"Hi {firstName},",
    };

    public static string Closing(Language language) => language switch
    {
        Language.French => "Cordialement,",
        Language.German => "Viele Grüße",
        Language.Spanish => "Un saludo,",
        Language.Russian => "С уважением,",
        Language.Japanese => "よろしくお願いいたします。",
        Language.Chinese => "此致",
        _ => "Best regards,",
    };

    public static string ReplyPrefix(Language language) => language switch
    {
        // Most clients send "Re:" whatever the language; a few localised prefixes make subject normalisation interesting.
        Language.German => "AW:",
        _ => "Re:",
    };

    public static readonly string[] Mailers =
    [
        "Microsoft Outlook 16.0", "Apple Mail (2.3774)", "Mozilla Thunderbird 128.3.1", "Roundcube Webmail/1.6.9", "K-9 Mail for Android",
    ];

    public static readonly (string Sender, string Display, string Subject)[] Newsletters =
    [
        ("news@lists.example.org", "Example Weekly", "This week in Example: 5 things you missed"),
        ("digest@community.example.net", "Community Digest", "Your daily digest – {n} new posts"),
        ("offers@shop.example.com", "Example Shop 🛍️", "Up to 40% off this weekend only"),
        ("noreply@ci.example.io", "CI Bot", "[{project}] Pipeline #{n} passed"),
        ("notifications@tracker.example.com", "Tracker", "[{project}] Issue #{n}: Crash when saving large files"),
    ];

    public static readonly string[] TextAttachmentNames = ["notes.txt", "README.txt", "meeting-minutes.txt", "log-excerpt.txt", "todo list (final).txt"];

    public static readonly string[] PdfAttachmentNames = ["report.pdf", "invoice.pdf", "Q3 summary.pdf", "contract_signed.pdf", "agenda.pdf"];

    public static readonly string[] ImageAttachmentNames = ["screenshot.png", "diagram.png", "photo.png", "chart.png"];

    /// <summary>Non-ASCII file names: written with RFC 2231 (default) or RFC 2047 (as Outlook does).</summary>
    public static readonly string[] UnicodeAttachmentNames =
    [
        "Übersicht März.pdf", "résumé – final.pdf", "отчёт за квартал.txt", "会議資料.pdf", "日程表.png", "presupuesto año 2024.pdf",
        "a very long file name that needs continuation lines in the header because it goes on and on and on.txt",
    ];
}
