import './styles.css';

import { SignalboxError } from '@signalbox/sdk';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter, Navigate, RouterProvider } from 'react-router';

import { SignedIn } from './layout';
import { EventsPage } from './pages/events/events';
import { FunctionDetailPage } from './pages/functions/function-detail';
import { FunctionsListPage } from './pages/functions/functions-list';
import { NotFoundPage } from './pages/not-found';
import { RunDetailPage } from './pages/run-detail';
import { RunsListPage } from './pages/runs-list';
import { ApiKeysPage } from './pages/settings/api-keys';
import { StatusPage } from './pages/settings/status';
import { SignInPage } from './pages/sign-in';
import { TriggerDetailPage } from './pages/triggers/trigger-detail';
import { TriggersListPage } from './pages/triggers/triggers-list';
import { WebhookDetailPage } from './pages/webhooks/webhook-detail';
import { WebhooksListPage } from './pages/webhooks/webhooks-list';
import { takeTokenFromFragment } from './session';
import { SessionProvider } from './session-context';

// First of all, before any route: the sign-in link's token leaves the address bar.
const fragmentError = takeTokenFromFragment();

const queries = new QueryClient({
  defaultOptions: {
    queries: {
      // A refusal (4xx) is an answer: show it at once. Network trouble and 5xx are tried twice more.
      retry: (failures, error) =>
        failures < 2 && !(error instanceof SignalboxError && error.status >= 400 && error.status < 500),
      refetchOnWindowFocus: false,
      staleTime: 5_000,
    },
  },
});

const router = createBrowserRouter(
  [
    { path: '/sign-in', element: <SignInPage /> },
    {
      path: '/',
      element: <SignedIn />,
      children: [
        { index: true, element: <Navigate to="/runs" replace /> },
        { path: 'runs', element: <RunsListPage /> },
        { path: 'runs/:jobId', element: <RunDetailPage /> },
        { path: 'functions', element: <FunctionsListPage /> },
        { path: 'functions/:id', element: <FunctionDetailPage /> },
        { path: 'triggers', element: <TriggersListPage /> },
        { path: 'triggers/:id', element: <TriggerDetailPage /> },
        { path: 'events', element: <EventsPage /> },
        { path: 'webhooks', element: <WebhooksListPage /> },
        { path: 'webhooks/:id', element: <WebhookDetailPage /> },
        { path: 'api-keys', element: <ApiKeysPage /> },
        { path: 'status', element: <StatusPage /> },
        { path: '*', element: <NotFoundPage /> },
      ],
    },
  ],
  { basename: '/console' },
);

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <QueryClientProvider client={queries}>
      <SessionProvider initialError={fragmentError}>
        <RouterProvider router={router} />
      </SessionProvider>
    </QueryClientProvider>
  </StrictMode>,
);
