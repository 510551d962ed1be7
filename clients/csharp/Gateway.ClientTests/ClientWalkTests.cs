using System.Text;
using Gateway.Client;
using Gateway.Client.Models;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;
using MimeKit;

namespace Gateway.ClientTests;

/// <summary>
/// Walks the API through the Kiota client generated from the served document, against a real gateway (Kestrel on
/// loopback, started by scripts/clients.sh) and the local Dovecot. A renamed field or path, a changed type or a
/// changed answer breaks the build or this walk.
/// </summary>
public sealed class ClientWalkTests
{
    private static string BaseUrl => Environment.GetEnvironmentVariable("GATEWAY_E2E_URL") is { Length: > 0 } url
        ? url
        : throw new InvalidOperationException("GATEWAY_E2E_URL is not set: run scripts/clients.sh.");

    private static string Password => Environment.GetEnvironmentVariable("GATEWAY_TEST_PASSWORD") is { Length: > 0 } p ? p : "test-password";

    [Fact]
    public async Task Walk_LoginListPageReadDownloadFlagMoveDeleteChanges()
    {
        using var http = new HttpClient();

        // Log in anonymously, then use the token for everything else.
        var anonymous = new GatewayClient(new HttpClientRequestAdapter(new AnonymousAuthenticationProvider(), httpClient: http) { BaseUrl = BaseUrl });
        var username = $"t-kiota-{Guid.NewGuid():N}@test";
        var session = await anonymous.Api.V1.Sessions.PostAsync(new CreateSessionRequest { Username = username, Password = Password });
        Assert.False(string.IsNullOrEmpty(session?.Token));
        Assert.NotNull(session!.ExpiresAt);

        var client = new GatewayClient(new HttpClientRequestAdapter(new BearerToken(session.Token!), httpClient: http) { BaseUrl = BaseUrl });
        var me = client.Api.V1.Accounts["me"];

        var account = await me.GetAsync();
        Assert.Equal(session.AccountId, account!.AccountId);
        Assert.Equal(username, account.Username);

        // Mailboxes: INBOX by role; a new one to move into.
        var mailboxes = await me.Mailboxes.GetAsync();
        var inbox = Assert.Single(mailboxes!.Items!, m => m.Role == MailboxRole.Inbox);
        Assert.Equal("INBOX", inbox.Path);
        var target = await me.Mailboxes.PostAsync(new CreateMailboxRequest { Name = "Kiota Zielordner" });
        Assert.Equal("Kiota Zielordner", target!.Path);

        // Five messages through APPEND (message/rfc822 body), the last with an attachment.
        var attachmentBytes = Encoding.UTF8.GetBytes("name,amount\r\nalice,12\r\nbob,7\r\n");
        var appended = new List<MessageSummaryResponse>();
        for (var i = 0; i < 5; i++)
        {
            using var raw = Message(i, i == 4 ? attachmentBytes : null);
            var summary = await me.Mailboxes[inbox.Id!].Messages.PostAsync(raw);
            Assert.Equal($"Kiota walk {i}", summary!.Subject);
            Assert.True(summary.Uid > 0);
            appended.Add(summary);
        }

        // Page through the listing two at a time with pageToken; newest first, nothing skipped or repeated.
        var seen = new List<string>();
        string? pageToken = null;
        string? state = null;
        var pages = 0;
        do
        {
            var page = await me.Mailboxes["inbox"].Messages.GetAsync(c =>
            {
                c.QueryParameters.PageSize = 2;
                c.QueryParameters.PageToken = pageToken;
            });
            pages++;
            state ??= page!.State;
            Assert.InRange(page!.Items!.Count, 1, 2);
            seen.AddRange(page.Items.Select(m => m.Id!));
            pageToken = page.NextPageToken;
        }
        while (pageToken is not null && pages < 10);

        Assert.Equal(3, pages);
        Assert.Equal(appended.Select(m => m.Id).Reverse(), seen);
        Assert.False(string.IsNullOrEmpty(state));

        // Read one message whole, its raw bytes, and download its attachment.
        var withAttachment = await me.Messages[appended[4].Id!].GetAsync();
        Assert.Equal("Kiota walk 4", withAttachment!.Subject);
        Assert.Contains("Body of message 4", withAttachment.Text, StringComparison.Ordinal);
        Assert.Equal("alice@example.test", Assert.Single(withAttachment.From!).Address);
        Assert.False(withAttachment.Seen);
        var attachment = Assert.Single(withAttachment.Attachments!);
        Assert.Equal("report.csv", attachment.Filename);
        Assert.Equal("text/csv", attachment.ContentType);
        await using (var download = await me.Messages[appended[4].Id!].Attachments[attachment.Id!].GetAsync())
        {
            Assert.Equal(attachmentBytes, await ReadAllAsync(download!));
        }

        await using (var rawStream = await me.Messages[appended[0].Id!].Raw.GetAsync())
        {
            Assert.Contains("Subject: Kiota walk 0", Encoding.UTF8.GetString(await ReadAllAsync(rawStream!)), StringComparison.Ordinal);
        }

        // Flag one (PATCH), move another, delete a third.
        var flagged = await me.Messages[appended[1].Id!].PatchAsync(new UpdateMessageRequest { Flagged = true, AddKeywords = ["kiota"] });
        Assert.True(flagged!.Flagged);
        Assert.Contains("kiota", flagged.Keywords!);

        var moved = await me.Messages[appended[2].Id!].Move.PostAsync(new MessageTargetRequest { MailboxId = target.Id });
        Assert.NotEqual(appended[2].Id, moved!.Id);
        var movedMessage = await me.Messages[moved.Id!].GetAsync();
        Assert.Equal(target.Id, movedMessage!.MailboxId);
        var gone = await Assert.ThrowsAsync<ProblemDetails>(() => me.Messages[appended[2].Id!].GetAsync());
        Assert.Equal(404, gone.ResponseStatusCode);
        Assert.EndsWith("/message-not-found", gone.Type, StringComparison.Ordinal);

        await me.Messages[appended[3].Id!].DeleteAsync(c => c.QueryParameters.Permanent = true);

        // The changes since the first page's state: one updated, two destroyed.
        var changes = await me.Mailboxes["inbox"].Changes.GetAsync(c => c.QueryParameters.Since = state);
        Assert.Equal(state, changes!.OldState);
        Assert.NotEqual(state, changes.NewState);
        Assert.Equal([appended[1].Id!], changes.Updated!);
        Assert.Equal(new[] { appended[2].Id!, appended[3].Id! }.Order(), changes.Destroyed!.Order());
        Assert.Empty(changes.Created!);
        Assert.False(changes.HasMoreChanges);

        // Log out: the token stops working.
        await client.Api.V1.Sessions.Current.DeleteAsync();
        var unauthorized = await Assert.ThrowsAsync<ProblemDetails>(() => me.GetAsync());
        Assert.Equal(401, unauthorized.ResponseStatusCode);
    }

    private static MemoryStream Message(int index, byte[]? attachment)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Alice Example", "alice@example.test"));
        message.To.Add(new MailboxAddress("Bob", "bob@example.test"));
        message.Subject = $"Kiota walk {index}";
        message.Date = new DateTimeOffset(2025, 3, 1, 9, index, 0, TimeSpan.Zero);
        var body = new BodyBuilder { TextBody = $"Body of message {index}.\n" };
        if (attachment is not null)
        {
            body.Attachments.Add("report.csv", attachment, new ContentType("text", "csv"));
        }

        message.Body = body.ToMessageBody();
        var stream = new MemoryStream();
        message.WriteTo(stream);
        stream.Position = 0;
        return stream;
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    private sealed class BearerToken(string token) : IAuthenticationProvider
    {
        public Task AuthenticateRequestAsync(RequestInformation request, Dictionary<string, object>? additionalAuthenticationContext = null, CancellationToken cancellationToken = default)
        {
            request.Headers.Add("Authorization", $"Bearer {token}");
            return Task.CompletedTask;
        }
    }
}
