using Gateway.Core.Accounts;

namespace Gateway.Core.Mailboxes;

/// <summary>Mailbox ids: a hash of the account id and the mailbox's full name, so the same mailbox has the same id on
/// every instance and after restarts, and an id of one account never names a mailbox of another.</summary>
public static class MailboxIds
{
    /// <summary>The role aliases accepted wherever a mailbox id is.</summary>
    public static readonly IReadOnlyDictionary<string, MailboxRole> Aliases = new Dictionary<string, MailboxRole>(StringComparer.Ordinal)
    {
        ["inbox"] = MailboxRole.Inbox,
        ["sent"] = MailboxRole.Sent,
        ["drafts"] = MailboxRole.Drafts,
        ["trash"] = MailboxRole.Trash,
        ["junk"] = MailboxRole.Junk,
        ["archive"] = MailboxRole.Archive,
    };

    public static string For(string accountId, string path) =>
        AccountIds.Hash($"mailbox\n{accountId}\n{NormalizePath(path)}");

    /// <summary>True when <paramref name="id"/> has the shape of an id (URL-safe, 1 to 64 characters).</summary>
    public static bool IsWellFormed(string? id) =>
        id is { Length: > 0 and <= 64 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>INBOX is case-insensitive in IMAP: one spelling for hashing and comparing.</summary>
    public static string NormalizePath(string path) =>
        string.Equals(path, "INBOX", StringComparison.OrdinalIgnoreCase) ? "INBOX" : path;
}
