using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gateway.Core.Messages;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Listings;
using MailKit;
using MailKit.Search;

namespace Gateway.Tests.Writes;

/// <summary>One test's world for the write tests: a fresh user, a gateway logged in as it, a plain IMAP client for the
/// server's truth, and a command counter.</summary>
internal sealed class WriteFixture : IAsyncDisposable
{
    private WriteFixture(GatewayApplication app, HttpClient client, string user, TestImap imap)
    {
        App = app;
        Client = client;
        User = user;
        Imap = imap;
        Counter = new CommandCounter(app, user);
    }

    public GatewayApplication App { get; }

    public HttpClient Client { get; }

    public string User { get; }

    public TestImap Imap { get; }

    public CommandCounter Counter { get; }

    public static async Task<WriteFixture> CreateAsync(string hint, Action<IDictionary<string, string?>>? configure = null)
    {
        var user = MailEnvironment.NewUser(hint);
        var imap = await TestImap.ConnectAsync(user);
        var app = new GatewayApplication(configure);
        var (client, _, _) = await app.LoginAsync(user);
        return new WriteFixture(app, client, user, imap);
    }

    /// <summary>Appends <paramref name="count"/> generated messages to <paramref name="path"/>; returns their UIDs.</summary>
    public Task<IList<uint>> SeedAsync(string path, int count, int seed = 1) => Imap.AppendGeneratedAsync(path, count, seed);

    public Task<string> MailboxIdAsync(string path) => Listing.MailboxIdAsync(Client, path);

    /// <summary>The message id the gateway gives <paramref name="uid"/> of <paramref name="path"/>.</summary>
    public async Task<string> MessageIdAsync(string path, uint uid)
    {
        var folder = await Imap.ExamineAsync(path);
        return MessageIds.For(await MailboxIdAsync(path), folder.UidValidity, uid);
    }

    /// <summary>The server's flags and keywords of one message, or null when it is not there.</summary>
    public async Task<IMessageSummary?> TruthAsync(string path, uint uid)
    {
        var folder = await Imap.ExamineAsync(path);
        var fetched = await folder.FetchAsync([new UniqueId(uid)], MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | MessageSummaryItems.ModSeq | MessageSummaryItems.Headers);
        return fetched.SingleOrDefault(m => m.UniqueId.Id == uid);
    }

    /// <summary>UIDs of <paramref name="path"/> whose Message-ID header is <paramref name="messageId"/>.</summary>
    public async Task<IList<uint>> FindAsync(string path, string messageId)
    {
        var folder = await Imap.ExamineAsync(path);
        return (await folder.SearchAsync(SearchQuery.HeaderContains("Message-ID", messageId))).Select(u => u.Id).ToList();
    }

    /// <summary>Every UID of <paramref name="path"/>.</summary>
    public async Task<List<uint>> UidsAsync(string path)
    {
        var folder = await Imap.ExamineAsync(path);
        return (await folder.SearchAsync(SearchQuery.All)).Select(u => u.Id).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        await Imap.DisposeAsync();
        Client.Dispose();
        await App.DisposeAsync();
    }
}

internal static class WriteHttp
{
    public static string MessageUrl(string id) => $"/api/v1/accounts/me/messages/{id}";

    public static Task<HttpResponseMessage> PatchAsync(HttpClient client, string id, object body, string? ifMatch = null) =>
        SendAsync(client, HttpMethod.Patch, MessageUrl(id), JsonSerializer.Serialize(body), ifMatch);

    public static Task<HttpResponseMessage> PostAsync(HttpClient client, string url, object body) =>
        SendAsync(client, HttpMethod.Post, url, JsonSerializer.Serialize(body));

    public static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string url, string? json, string? ifMatch = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return await client.SendAsync(request);
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: expected {(int)expected}, got {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public static string Describe(Dictionary<string, long> commands) => CommandCounter.Describe(commands);
}
