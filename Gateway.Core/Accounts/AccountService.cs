using Gateway.Core.Imap;

namespace Gateway.Core.Accounts;

/// <summary>What the caller's IMAP server can do, read from a pooled connection (capabilities are cached by MailKit
/// from login, so this costs at most one GETQUOTAROOT).</summary>
public sealed class AccountService(IImapSessionPool pool)
{
    public Task<ImapServerInfo> GetServerInfoAsync(AccountSession session, CancellationToken cancellationToken) =>
        pool.ExecuteAsync(
            session.Account,
            (lease, ct) => ImapServerInfoReader.ReadAsync(lease.Client, ct),
            ImapOperationOptions.Default,
            cancellationToken);
}
