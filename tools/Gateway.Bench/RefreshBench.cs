using MailKit;

namespace Gateway.Bench;

/// <summary>B4: the IMAP cost of the one listing that follows 1 APPEND and 1 flag change in the 100k mailbox (made from
/// a separate connection), read from the gateway's own counters (/metrics) right before and after that listing. Run
/// with the pool as the fill left it (a connection has INBOX selected: <c>afterFill</c>) and with a fresh pool (none
/// has: <c>freshPool</c>, where the delta fetch must EXAMINE first).</summary>
internal static class RefreshBench
{
    public static async Task RunAsync(BenchContext context, string variant, bool freshPool, int repetitions, CancellationToken ct)
    {
        var gateway = context.Gateway;
        var mailboxId = context.Mailbox.Id;
        await context.EnsureCompleteAsync(ct);
        var flagged = new List<UniqueId>();
        var appended = new List<UniqueId>();
        try
        {
            for (var rep = 0; rep < repetitions; rep++)
            {
                // Two listings first, so the connection the refresh will use was just used (no NOOP health check).
                if (freshPool)
                {
                    // The refresh then runs on a connection that has nothing selected.
                    await context.FreshPoolAsync(ct);
                }

                using var current = System.Text.Json.JsonDocument.Parse(await gateway.GetPageBytesAsync(mailboxId, BenchContext.PageSize, ct));
                await gateway.GetPageBytesAsync(mailboxId, BenchContext.PageSize, ct);

                var target = current.RootElement.GetProperty("items").EnumerateArray()
                    .Skip(10).First(i => !i.GetProperty("flagged").GetBoolean());
                var flagUid = (uint)target.GetProperty("uid").GetInt64();

                var (subject, uid) = await ImapBaseline.AppendAndFlagAsync(context.Settings, flagUid, appended.Count, ct);
                flagged.Add(new UniqueId(flagUid));
                appended.Add(new UniqueId(uid));

                var before = await gateway.ScrapeImapCountersAsync(ct);
                var beforePool = await gateway.GetPoolAsync(ct);
                var body = await gateway.GetPageBytesAsync(mailboxId, BenchContext.PageSize, ct);
                var used = (await gateway.ScrapeImapCountersAsync(ct)).Since(before);
                var usedPool = (await gateway.GetPoolAsync(ct)).Counters.Since(beforePool.Counters);

                // Did the page show the change? (It must: the listing is the refresh.)
                using var page = System.Text.Json.JsonDocument.Parse(body);
                var items = page.RootElement.GetProperty("items").EnumerateArray().ToList();
                var seesAppend = items[0].GetProperty("subject").GetString() == subject;
                var seesFlag = items.FirstOrDefault(i => i.GetProperty("uid").GetInt64() == flagUid) is { ValueKind: System.Text.Json.JsonValueKind.Object } shown
                    && shown.GetProperty("flagged").GetBoolean();

                context.Results.Add($"B4.{variant}.commands", used.TotalCommands);
                context.Results.Add($"B4.{variant}.bytes", used.BytesRead);
                context.Results.Add($"B4.{variant}.account.commands", usedPool.TotalCommands);
                context.Results.Add($"B4.{variant}.account.bytes", usedPool.BytesRead);
                context.Results.Add($"B4.{variant}.correct", seesAppend && seesFlag ? 1 : 0);
                context.Results.Note($"B4.{variant}.commands", $"last repetition: {used}; the account's own counters (/bench/pool): {usedPool.TotalCommands} commands, {usedPool.BytesRead} bytes"
                    + (seesAppend && seesFlag ? string.Empty : $"; **the page did not show the change** (new message shown: {seesAppend}, flag shown: {seesFlag})"));
                BenchContext.Log($"B4 ({variant}) rep {rep + 1}: {used.TotalCommands} commands ({used}), {used.BytesRead} bytes read"
                    + $" | account counters: {usedPool.TotalCommands} commands, {usedPool.BytesRead} bytes"
                    + (seesAppend && seesFlag ? " | page shows the change" : $" | STALE PAGE: new message shown {seesAppend}, flag shown {seesFlag}"));
            }
        }
        finally
        {
            // Leave the mailbox as seeded: unflag, expunge what was appended, and let the cache see it.
            await ImapBaseline.UndoAsync(context.Settings, flagged, appended, CancellationToken.None);
            var before = await gateway.ScrapeImapCountersAsync(CancellationToken.None);
            await gateway.GetPageBytesAsync(mailboxId, BenchContext.PageSize, CancellationToken.None);
            var used = (await gateway.ScrapeImapCountersAsync(CancellationToken.None)).Since(before);
            context.Results.Note($"B4.{variant}.undo", $"the listing after expunging the {appended.Count} appended messages and unflagging {flagged.Count}: {used.TotalCommands} commands ({used}), {used.BytesRead} bytes read");
        }
    }
}
