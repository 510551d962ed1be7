using Gateway.Core.Accounts;
using Gateway.Core.Errors;
using Gateway.Core.Imap;
using Gateway.Core.Messages.Cache;
using Gateway.Core.Storage;
using MailKit;
using MailKit.Net.Imap;
using Microsoft.Extensions.Logging;

namespace Gateway.Core.Mailboxes;

/// <summary>
/// Lists, creates, renames, subscribes and deletes mailboxes through pooled IMAP connections, and resolves mailbox
/// ids and role aliases to full names. Each call is one or two IMAP exchanges on one leased connection.
/// </summary>
public sealed partial class MailboxService(IImapSessionPool pool, MailboxDirectory directory, IMessageCacheStore cache, ILogger<MailboxService> logger)
{
    /// <summary>Resolves a mailbox id or role alias to the mailbox's full name, from the directory cache when it can.</summary>
    /// <param name="session">The caller.</param>
    /// <param name="idOrAlias">A mailbox id or role alias.</param>
    /// <param name="refresh">True to ignore the cache (e.g. after the server said the cached name does not exist).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="MailboxNotFoundException">The account has no such mailbox.</exception>
    public async Task<MailboxRef> ResolveAsync(AccountSession session, string idOrAlias, bool refresh, CancellationToken cancellationToken)
    {
        if (!refresh && await directory.GetAsync(session.AccountId, cancellationToken) is { } cached
            && MailboxDirectory.Find(cached, idOrAlias) is { } hit)
        {
            return hit;
        }

        // Not cached, or perhaps created since the list was cached: ask the server.
        var list = await ListNamesAsync(session, cancellationToken);
        return MailboxDirectory.Find(await directory.RememberAsync(session.AccountId, list, cancellationToken), idOrAlias)
            ?? throw NotFound(idOrAlias);
    }

    private const StatusItems CountItems = StatusItems.Count | StatusItems.Unread | StatusItems.UidValidity;

    /// <summary>Every mailbox of the account, with counts (LIST-STATUS where offered, else STATUS per mailbox).</summary>
    public Task<IReadOnlyList<MailboxInfo>> ListAsync(AccountSession session, CancellationToken cancellationToken) =>
        ListAsync(session, CountItems, cancellationToken);

    /// <summary>Every mailbox of the account without counts: one plain LIST.</summary>
    public Task<IReadOnlyList<MailboxInfo>> ListNamesAsync(AccountSession session, CancellationToken cancellationToken) =>
        ListAsync(session, StatusItems.None, cancellationToken);

    private Task<IReadOnlyList<MailboxInfo>> ListAsync(AccountSession session, StatusItems items, CancellationToken cancellationToken) =>
        pool.ExecuteAsync(session.Account, async (lease, ct) =>
        {
            if (items != StatusItems.None && lease.SelectedMailbox is not null)
            {
                // A session reports its selected mailbox as it last synced it (Dovecot answers STATUS and LIST-STATUS
                // for it from that view): NOOP first, so counts include other clients' changes.
                await lease.Client.NoOpAsync(ct);
            }

            var folders = await ListFoldersAsync(lease.Client, items, ct);
            IReadOnlyList<MailboxInfo> list = Describe(session.AccountId, folders, lease.Client);
            await directory.RememberAsync(session.AccountId, list, ct);
            return list;
        }, ImapOperationOptions.Default, cancellationToken);

    /// <summary>One mailbox by id or role alias.</summary>
    /// <exception cref="MailboxNotFoundException">No such mailbox for this account.</exception>
    public async Task<MailboxInfo> GetAsync(AccountSession session, string mailboxId, CancellationToken cancellationToken)
    {
        var list = await ListAsync(session, cancellationToken);
        return Find(list, mailboxId) ?? throw NotFound(mailboxId);
    }

    /// <summary>Creates a mailbox (subscribed) under <paramref name="parentId"/> or at the top level.</summary>
    /// <exception cref="ConflictException">A mailbox with that path exists.</exception>
    public async Task<MailboxInfo> CreateAsync(AccountSession session, string name, string? parentId, CancellationToken cancellationToken)
    {
        return await pool.ExecuteAsync(session.Account, async (lease, ct) =>
        {
            var client = lease.Client;
            var existing = Describe(session.AccountId, await ListFoldersAsync(client, StatusItems.None, ct), client);
            var parent = parentId is null ? null : Find(existing, parentId) ?? throw NotFound(parentId, "parentId");
            var delimiter = Delimiter(client, parent);
            MailboxNames.Validate(name, delimiter);
            if (parent is not null && parent.Attributes.Contains("NoInferiors"))
            {
                throw new ConflictException($"Mailbox '{parent.Path}' cannot have children.");
            }

            var path = parent is null ? Prefix(client) + name : parent.Path + delimiter + name;
            if (existing.Any(m => SamePath(m.Path, path)))
            {
                throw new ConflictException($"A mailbox named '{path}' already exists.");
            }

            var container = parent is null ? Root(client) : await client.GetFolderAsync(parent.Path, ct);
            IMailFolder? created;
            try
            {
                created = await container.CreateAsync(name, isMessageFolder: true, ct);
            }
            catch (ImapCommandException ex)
            {
                throw Translate(ex, path);
            }

            if (created is null)
            {
                throw new UpstreamProtocolException($"The IMAP server did not create '{path}'.");
            }

            await created.SubscribeAsync(ct);
            await directory.InvalidateAsync(session.AccountId, ct);
            LogCreated(session.AccountId);
            return await DescribeOneAsync(session, client, path, ct);
        }, ImapOperationOptions.NotRetryable, cancellationToken);
    }

    /// <summary>Renames, moves (new parent) and/or (un)subscribes a mailbox.</summary>
    public async Task<MailboxInfo> UpdateAsync(AccountSession session, string mailboxId, MailboxUpdate update, CancellationToken cancellationToken)
    {
        return await pool.ExecuteAsync(session.Account, async (lease, ct) =>
        {
            var client = lease.Client;
            var all = Describe(session.AccountId, await ListFoldersAsync(client, StatusItems.None, ct), client);
            var mailbox = Find(all, mailboxId) ?? throw NotFound(mailboxId);
            var path = mailbox.Path;

            var renaming = update.Name is not null || update.ParentId is not null || update.MoveToTopLevel;
            if (renaming)
            {
                MailboxInfo? newParent;
                if (update.MoveToTopLevel)
                {
                    newParent = null;
                }
                else if (update.ParentId is not null)
                {
                    newParent = Find(all, update.ParentId) ?? throw NotFound(update.ParentId, "parentId");
                }
                else
                {
                    newParent = mailbox.ParentId is null ? null : all.FirstOrDefault(m => m.Id == mailbox.ParentId);
                }

                var newName = update.Name ?? mailbox.Name;
                var delimiter = Delimiter(client, newParent);
                MailboxNames.Validate(newName, delimiter);
                var newPath = newParent is null ? Prefix(client) + newName : newParent.Path + delimiter + newName;

                if (!SamePath(newPath, path))
                {
                    if (mailbox.IsInbox)
                    {
                        throw new ConflictException("INBOX cannot be renamed or moved.");
                    }

                    if (newParent is not null && (newParent.Id == mailbox.Id || IsDescendant(newParent.Path, path, mailbox.Delimiter)))
                    {
                        throw new ConflictException("A mailbox cannot be moved into itself or one of its children.");
                    }

                    if (all.Any(m => SamePath(m.Path, newPath)))
                    {
                        throw new ConflictException($"A mailbox named '{newPath}' already exists.");
                    }

                    var folder = await client.GetFolderAsync(path, ct);
                    var parentFolder = newParent is null ? Root(client) : await client.GetFolderAsync(newParent.Path, ct);
                    if (folder.IsOpen)
                    {
                        await folder.CloseAsync(false, ct);
                    }

                    try
                    {
                        await folder.RenameAsync(parentFolder, newName, ct);
                    }
                    catch (ImapCommandException ex)
                    {
                        throw Translate(ex, newPath);
                    }

                    path = newPath;
                    await directory.InvalidateAsync(session.AccountId, ct);
                    await DropCacheAsync(mailbox.Id, ct);
                }
            }

            if (update.Subscribed is { } subscribe)
            {
                var folder = await client.GetFolderAsync(path, ct);
                if (subscribe)
                {
                    await folder.SubscribeAsync(ct);
                }
                else
                {
                    await folder.UnsubscribeAsync(ct);
                }
            }

            return await DescribeOneAsync(session, client, path, ct);
        }, ImapOperationOptions.NotRetryable, cancellationToken);
    }

    /// <summary>Deletes a mailbox that has no children and is not INBOX.</summary>
    public async Task DeleteAsync(AccountSession session, string mailboxId, CancellationToken cancellationToken)
    {
        await pool.ExecuteAsync(session.Account, async (lease, ct) =>
        {
            var client = lease.Client;
            var all = Describe(session.AccountId, await ListFoldersAsync(client, StatusItems.None, ct), client);
            var mailbox = Find(all, mailboxId) ?? throw NotFound(mailboxId);
            if (mailbox.IsInbox)
            {
                throw new ConflictException("INBOX cannot be deleted.");
            }

            if (all.Any(m => IsDescendant(m.Path, mailbox.Path, mailbox.Delimiter)))
            {
                throw new ConflictException($"Mailbox '{mailbox.Path}' has children; delete them first.");
            }

            var folder = await client.GetFolderAsync(mailbox.Path, ct);
            if (folder.IsOpen)
            {
                await folder.CloseAsync(false, ct);
            }

            try
            {
                await folder.DeleteAsync(ct);
            }
            catch (ImapCommandException ex)
            {
                throw Translate(ex, mailbox.Path);
            }

            try
            {
                await folder.UnsubscribeAsync(ct);
            }
            catch (ImapCommandException)
            {
                // Some servers drop the subscription with the mailbox.
            }

            await directory.InvalidateAsync(session.AccountId, ct);
            await DropCacheAsync(mailbox.Id, ct);
            LogDeleted(session.AccountId);
            return true;
        }, ImapOperationOptions.NotRetryable, cancellationToken);
    }

    /// <summary>A renamed or deleted mailbox's cached headers are unreachable (its id changed or is gone): free them
    /// now rather than at idle expiry.</summary>
    private async Task DropCacheAsync(string mailboxId, CancellationToken ct)
    {
        try
        {
            await cache.DropAsync(mailboxId, ct);
        }
        catch (StoreUnavailableException)
        {
            // They expire on their own.
        }
    }

    private static async Task<MailboxInfo> DescribeOneAsync(AccountSession session, ImapClient client, string path, CancellationToken ct)
    {
        var folders = await ListFoldersAsync(client, CountItems, ct);
        var list = Describe(session.AccountId, folders, client);
        return list.FirstOrDefault(m => SamePath(m.Path, path)) ?? throw new MailboxNotFoundException($"Mailbox '{path}' vanished.");
    }

    private static async Task<IList<IMailFolder>> ListFoldersAsync(ImapClient client, StatusItems items, CancellationToken ct)
    {
        if (client.PersonalNamespaces.Count == 0)
        {
            return [client.Inbox];
        }

        var folders = await client.GetFoldersAsync(client.PersonalNamespaces[0], items, subscribedOnly: false, ct);
        if (!folders.Any(f => SamePath(f.FullName, "INBOX")))
        {
            // Some servers list INBOX only outside the personal namespace's prefix.
            var inbox = client.Inbox;
            if (items != StatusItems.None)
            {
                await inbox.StatusAsync(items, ct);
            }

            folders = [inbox, .. folders];
        }

        return folders;
    }

    private static List<MailboxInfo> Describe(string accountId, IList<IMailFolder> folders, ImapClient client)
    {
        var rolesTaken = new HashSet<MailboxRole>();
        var result = new List<MailboxInfo>(folders.Count);
        foreach (var folder in folders.Where(f => !f.Attributes.HasFlag(FolderAttributes.NonExistent)))
        {
            var role = RoleOf(folder);
            if (role is { } r && !rolesTaken.Add(r))
            {
                role = null;
            }

            result.Add(ToInfo(accountId, folder, role));
        }

        // Servers without SPECIAL-USE: fall back to the usual names for roles nobody claimed.
        if (!client.Capabilities.HasFlag(ImapCapabilities.SpecialUse))
        {
            for (var i = 0; i < result.Count; i++)
            {
                if (result[i].Role is null && result[i].ParentId is null && GuessRole(result[i].Name) is { } guess && rolesTaken.Add(guess))
                {
                    result[i] = result[i] with { Role = guess };
                }
            }
        }

        AddMissingAncestors(accountId, result);
        result.Sort(static (a, b) => (a.IsInbox, b.IsInbox) switch
        {
            (true, false) => -1,
            (false, true) => 1,
            _ => string.CompareOrdinal(a.Path, b.Path),
        });
        return result;
    }

    /// <summary>Some servers list <c>a|b</c> without <c>a</c> when <c>a</c> was never created itself; clients building
    /// a tree then see an orphan. Such ancestors are described as non-selectable placeholders.</summary>
    private static void AddMissingAncestors(string accountId, List<MailboxInfo> mailboxes)
    {
        var known = new HashSet<string>(mailboxes.Select(m => m.Path), StringComparer.Ordinal);
        for (var i = 0; i < mailboxes.Count; i++)
        {
            var m = mailboxes[i];
            if (m.Delimiter is not { Length: 1 } delimiter)
            {
                continue;
            }

            var cut = m.Path.LastIndexOf(delimiter[0]);
            if (cut <= 0 || !known.Add(m.Path[..cut]))
            {
                continue;
            }

            var parentPath = m.Path[..cut];
            var parentCut = parentPath.LastIndexOf(delimiter[0]);
            mailboxes.Add(new MailboxInfo(
                MailboxIds.For(accountId, parentPath),
                parentCut < 0 ? parentPath : parentPath[(parentCut + 1)..],
                parentPath,
                parentCut <= 0 ? null : MailboxIds.For(accountId, parentPath[..parentCut]),
                delimiter,
                null,
                false,
                ["Noselect", "NonExistent", "HasChildren"],
                0,
                0,
                0)
            {
                HasChildren = true,
            });
        }
    }

    private static MailboxInfo ToInfo(string accountId, IMailFolder folder, MailboxRole? role)
    {
        var path = MailboxIds.NormalizePath(folder.FullName);
        var delimiter = folder.DirectorySeparator == '\0' ? null : folder.DirectorySeparator.ToString();
        string? parentId = null;
        if (delimiter is not null)
        {
            var cut = path.LastIndexOf(folder.DirectorySeparator);
            if (cut > 0)
            {
                var parentPath = path[..cut];
                parentId = MailboxIds.For(accountId, parentPath);
            }
        }

        var selectable = !folder.Attributes.HasFlag(FolderAttributes.NoSelect);
        return new MailboxInfo(
            MailboxIds.For(accountId, path),
            folder.Name,
            path,
            parentId,
            delimiter,
            role,
            folder.Attributes.HasFlag(FolderAttributes.Subscribed),
            AttributeNames(folder.Attributes),
            selectable ? folder.Count : 0,
            selectable ? folder.Unread : 0,
            selectable ? folder.UidValidity : 0)
        {
            HasChildren = folder.Attributes.HasFlag(FolderAttributes.HasChildren),
        };
    }

    private static MailboxRole? RoleOf(IMailFolder folder)
    {
        var a = folder.Attributes;
        if (a.HasFlag(FolderAttributes.Inbox) || SamePath(folder.FullName, "INBOX"))
        {
            return MailboxRole.Inbox;
        }

        return a switch
        {
            _ when a.HasFlag(FolderAttributes.Sent) => MailboxRole.Sent,
            _ when a.HasFlag(FolderAttributes.Drafts) => MailboxRole.Drafts,
            _ when a.HasFlag(FolderAttributes.Trash) => MailboxRole.Trash,
            _ when a.HasFlag(FolderAttributes.Junk) => MailboxRole.Junk,
            _ when a.HasFlag(FolderAttributes.Archive) => MailboxRole.Archive,
            _ when a.HasFlag(FolderAttributes.All) => MailboxRole.All,
            _ when a.HasFlag(FolderAttributes.Flagged) => MailboxRole.Flagged,
            _ => null,
        };
    }

    private static MailboxRole? GuessRole(string name) => name.ToLowerInvariant() switch
    {
        "sent" or "sent items" or "sent messages" or "sent mail" => MailboxRole.Sent,
        "drafts" or "draft" => MailboxRole.Drafts,
        "trash" or "deleted items" or "deleted messages" or "bin" => MailboxRole.Trash,
        "junk" or "spam" or "junk e-mail" or "junk email" => MailboxRole.Junk,
        "archive" or "archives" => MailboxRole.Archive,
        _ => null,
    };

    private static readonly (FolderAttributes Flag, string Name)[] AttributeTable =
    [
        (FolderAttributes.NoInferiors, "NoInferiors"),
        (FolderAttributes.NoSelect, "Noselect"),
        (FolderAttributes.Marked, "Marked"),
        (FolderAttributes.Unmarked, "Unmarked"),
        (FolderAttributes.HasChildren, "HasChildren"),
        (FolderAttributes.HasNoChildren, "HasNoChildren"),
        (FolderAttributes.Subscribed, "Subscribed"),
        (FolderAttributes.All, "All"),
        (FolderAttributes.Archive, "Archive"),
        (FolderAttributes.Drafts, "Drafts"),
        (FolderAttributes.Flagged, "Flagged"),
        (FolderAttributes.Junk, "Junk"),
        (FolderAttributes.Sent, "Sent"),
        (FolderAttributes.Trash, "Trash"),
    ];

    private static string[] AttributeNames(FolderAttributes attributes) =>
        AttributeTable.Where(a => attributes.HasFlag(a.Flag)).Select(a => a.Name).ToArray();

    private static MailboxInfo? Find(IReadOnlyList<MailboxInfo> mailboxes, string idOrAlias)
    {
        if (MailboxIds.Aliases.TryGetValue(idOrAlias, out var role))
        {
            return mailboxes.FirstOrDefault(m => m.Role == role);
        }

        return mailboxes.FirstOrDefault(m => m.Id == idOrAlias);
    }

    private static IMailFolder Root(ImapClient client) =>
        client.GetFolder(client.PersonalNamespaces[0]) ?? throw new UpstreamProtocolException("The IMAP server has no personal namespace root.");

    private static string? Delimiter(ImapClient client, MailboxInfo? parent)
    {
        if (parent?.Delimiter is { } d)
        {
            return d;
        }

        var separator = client.PersonalNamespaces.Count > 0 ? client.PersonalNamespaces[0].DirectorySeparator : '\0';
        return separator == '\0' ? null : separator.ToString();
    }

    private static string Prefix(ImapClient client) =>
        client.PersonalNamespaces.Count > 0 ? client.PersonalNamespaces[0].Path is { Length: > 0 } p
            ? p.EndsWith(client.PersonalNamespaces[0].DirectorySeparator) ? p : p + client.PersonalNamespaces[0].DirectorySeparator
            : string.Empty : string.Empty;

    private static bool SamePath(string a, string b) =>
        string.Equals(MailboxIds.NormalizePath(a), MailboxIds.NormalizePath(b), StringComparison.Ordinal);

    private static bool IsDescendant(string candidate, string ancestor, string? delimiter) =>
        delimiter is not null && candidate.StartsWith(ancestor + delimiter, StringComparison.Ordinal);

    private static MailboxNotFoundException NotFound(string id, string what = "mailbox") =>
        new(what == "parentId" ? $"The parent mailbox '{id}' does not exist." : $"Mailbox '{id}' does not exist.");

    private static GatewayException Translate(ImapCommandException ex, string path)
    {
        var text = ex.ResponseText ?? ex.Message;
        if (text.Contains("exists", StringComparison.OrdinalIgnoreCase) && !text.Contains("n't exist", StringComparison.OrdinalIgnoreCase))
        {
            return new ConflictException($"A mailbox named '{path}' already exists.", ex) { ImapCode = "ALREADYEXISTS" };
        }

        if (text.Contains("doesn't exist", StringComparison.OrdinalIgnoreCase) || text.Contains("not exist", StringComparison.OrdinalIgnoreCase))
        {
            return new MailboxNotFoundException($"Mailbox '{path}' does not exist.") { ImapCode = "NONEXISTENT" };
        }

        if (text.Contains("quota", StringComparison.OrdinalIgnoreCase))
        {
            return new OverQuotaException("The account is over its quota.", ex) { ImapCode = "OVERQUOTA" };
        }

        return new RequestValidationException($"The IMAP server refused the mailbox name: {text}");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Mailbox created for account {AccountId}")]
    private partial void LogCreated(string accountId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Mailbox deleted for account {AccountId}")]
    private partial void LogDeleted(string accountId);
}
